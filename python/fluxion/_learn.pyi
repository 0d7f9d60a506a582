# Type hints of fluxion._learn, the pybind11 module on LibTorch (python/src/learn_module.cpp),
# imported by fluxion.predict, fluxion.predictor and fluxion.scflux on first use.
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import numpy.typing as npt

from ._core import InputError as _CoreInputError

__version__: str
git_commit: str

class InputError(_CoreInputError): ...

class Predictor:
    def __init__(self, package: str, model: str = "") -> None: ...
    @property
    def model(self) -> str: ...
    @property
    def path(self) -> str: ...
    def predict(self, mids: str, **options: Any) -> Dict[str, Any]: ...

def scflux(indptr: npt.NDArray[np.int64], indices: npt.NDArray[np.int32], data: npt.NDArray[np.float32], genes: List[str], cells: List[str],
           labels: List[str], progress: Optional[Callable[[str, int, int, str], bool]] = None, **options: Any) -> Dict[str, Any]: ...
