"""The analysis stage: what a stored run shows.  Runtime fits against the cost models
(:mod:`.fits`), the paper's claims judged by pre-registered rules (:mod:`.claims`), and
the regime map (:mod:`.regime`).  It reads cells and stored facts only: never the live
reducer registry or the config parser."""
