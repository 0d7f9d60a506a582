# The seeded recipe of each built-in predictor package: `predictor_recipe MODEL` sets
# data=(fluxion dataset options) and train=(fluxion train options). Sourced by
# scripts/train-predictors.sh and bench/score_predictors.sh, so that the scored test rows
# are drawn exactly as the training rows were (with another seed).
g=models/constraints/glyppp_exchange
predictor_recipe() {
  case $1 in
    # ML-Flux: 100,000 flux sets with log-uniform exchange fluxes; its layers and batch size
    simple) data=(-n 100000 --exchange log-uniform) train=(--epochs 1500 --patience 100 --pcnn-epochs 20 --lr-decay-after 0) ;;
    upper_glycolysis) data=(-n 100000 --exchange log-uniform) train=(--epochs 400 --patience 40 --lr-decay-after 0) ;;
    # batch 128 instead of ML-Flux's 32 (four times fewer steps per epoch), fewer epochs: 2 cores
    glycolysis) data=(-n 100000 --exchange log-uniform) train=(--epochs 100 --patience 15 --batch 128 --pcnn-epochs 15 --lr-decay-after 3) ;;
    # hit-and-run and the three exchange sheets (20/20/60 %); 100,000 sets instead of ML-Flux's
    # 1,000,000, 512-256-128-64 instead of 1024-512-256-128-64, 40 epochs, no PCNN (its 80×80
    # U-Net takes CPU hours per epoch): what 2 cores allow; KNN imputes
    glyppp) data=(-n 100000 --method achr --exchange log-uniform --exchange-set "${g}_1of3.txt=0.2"
                  --exchange-set "${g}_2of3.txt=0.2" --exchange-set "${g}_3of3.txt=0.6")
            train=(--hidden 512,256,128,64 --epochs 40 --patience 8 --batch 128 --lr-decay-after 3) ;;
    # ML-Flux's protocol: 1,000,000 hit-and-run draws, six fluxes capped at 10,000 per bin;
    # its weighted loss on full fluxes (the default for ccm); 120 epochs (ML-Flux: 250)
    ccm) data=(--draws 1000000 --method achr --cap-fluxes ldh,pdh,ppck,me,mdh,akgdh --exchange log-uniform)
         train=(--hidden 512,256,128,64 --epochs 120 --patience 12 --batch 128 --lr-decay-after 3) ;;
    *) echo "no predictor recipe for '$1'" >&2; return 2 ;;
  esac
}
