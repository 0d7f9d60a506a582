# The seeded recipe of each built-in predictor package: `predictor_recipe MODEL` sets
# data=(fluxion dataset options) and train=(fluxion train options). Sourced by
# scripts/train-predictors.sh and bench/score_predictors.sh, so that the scored rows are
# drawn exactly as the training rows were (with another seed).
#
# Every recipe (2026-12): inputs and outputs standardised (the defaults), the hybrid loss
# (raw full net fluxes, each in units of its training SD, through the kernel; transformed
# exchange fluxes) on two networks that share no weights (--heads 2), a fixed budget with
# cosine decay, and Gaussian noise on the training MIDs whose SD each row draws from
# [0, 0.01] (--mid-noise-mode ranged): networks trained on exact MIDs fail on measured ones,
# networks trained at a fixed SD of 0.01 lose their edge on exact ones; the range keeps most
# of both. Why: docs/benchmarks.md, "ML-Flux: what made the networks learn".
#
# Exchange fluxes are sampled log-uniformly from 1e-4 to each model's exchange bound (100 for
# the toy and the glycolysis models). The authors' toy network saturates for exchange >= 1,
# so their training range was narrower; fluxion keeps the wide range, because measured
# systems do not promise small exchange fluxes, and scores the toy on both (docs/benchmarks.md).
g=models/constraints/glyppp_exchange
predictor_recipe() {
  model=$1    # the model the package is for (a recipe of another name sets it)
  members=()  # an ensemble's members, "SEED HIDDEN THREADS [OPTION VALUE ...]" each (the same threads give the same weights; options replace the recipe's)
  case $1 in
    # ML-Flux's data (100,000 flux sets, log-uniform exchange fluxes), layers and batch size
    simple) data=(-n 100000 --exchange log-uniform)
            train=(--epochs 1500 --patience 10000 --schedule cosine --loss hybrid --heads 2 --mid-noise 0.01 --mid-noise-mode ranged --pcnn-epochs 20) ;;
    upper_glycolysis) data=(-n 100000 --exchange log-uniform)
                      train=(--epochs 400 --patience 10000 --schedule cosine --loss hybrid --heads 2 --mid-noise 0.01 --mid-noise-mode ranged) ;;
    # batch 256 instead of ML-Flux's 32 and 90 epochs instead of 2,000: 2 cores
    glycolysis) data=(-n 100000 --exchange log-uniform)
                train=(--epochs 90 --patience 1000 --batch 256 --learning-rate 2e-3 --schedule cosine --loss hybrid --heads 2 --mid-noise 0.01 --mid-noise-mode ranged --pcnn-epochs 15) ;;
    # hit-and-run and the three exchange sheets (20/20/60 %); 100,000 sets instead of ML-Flux's
    # 1,000,000; ML-Flux's width (1024-512-256-128-64) per head; no PCNN (its 80×80 U-Net
    # takes CPU hours per epoch): what 2 cores allow; KNN imputes
    glyppp) data=(-n 100000 --method achr --exchange log-uniform --exchange-set "${g}_1of3.txt=0.2"
                  --exchange-set "${g}_2of3.txt=0.2" --exchange-set "${g}_3of3.txt=0.6")
            train=(--hidden 1024,512,256,128,64 --epochs 40 --patience 1000 --batch 256 --learning-rate 2e-3 --schedule cosine --loss hybrid --heads 2 --mid-noise 0.01 --mid-noise-mode ranged) ;;
    # ML-Flux's protocol: 1,000,000 hit-and-run draws, six fluxes capped at 10,000 per bin;
    # 150 epochs (ML-Flux: 250) per head, then ML-Flux's second stage on TAL's output weights
    # (5 epochs). An ensemble of five networks (fluxion ensemble): 512-256-128-64 with seeds 1
    # and 2, ML-Flux's width, 1024-512-256-128-64, with seed 1, and two 512-wide ones with seeds
    # 3 and 5, 90 epochs and the hybrid loss's spread floored at 0.25; no single network reached the
    # 85 % of (row, identifiable net flux) pairs within ±0.05 (docs/benchmarks.md)
    ccm) data=(--draws 1000000 --method achr --cap-fluxes ldh,pdh,ppck,me,mdh,akgdh --exchange log-uniform)
         train=(--epochs 150 --patience 1000 --batch 256 --learning-rate 2e-3 --schedule cosine --loss hybrid --heads 2
                --mid-noise 0.01 --mid-noise-mode ranged --fine-tune tal --fine-tune-epochs 5)
         members=("1 512,256,128,64 1" "1 1024,512,256,128,64 2" "2 512,256,128,64 2"
                  "3 512,256,128,64 2 --epochs 90 --loss-spread-floor 0.25" "5 512,256,128,64 2 --epochs 90 --loss-spread-floor 0.25") ;;
    # The toy network's time course (non-stationary labelling): the six tracers at five times
    # after the switch, every pool size drawn log-uniformly in [0.2, 5] (flux units × time; v1
    # = 1) and predicted beside the fluxes. 250 epochs, no PCNN (KNN imputes missing times):
    # what 2 cores allow in a session (docs/benchmarks.md, "ML-Flux for time courses").
    simple_time_course) model=simple
            data=(-n 100000 --exchange log-uniform --times 0.25,0.5,1,2,4 --pool-range 0.2,5)
            train=(--epochs 250 --patience 10000 --schedule cosine --loss hybrid --heads 2 --mid-noise 0.01 --mid-noise-mode ranged --pcnn-epochs 0 --threads 2) ;;
    *) echo "no predictor recipe for '$1'" >&2; return 2 ;;
  esac
}
