"""Training of STARCaster (paper Sec. 3.4, Supp. B). Stage 1 (audio-driven motion learning) is implemented;
stages 2-3 and the lip-reading loss plug in through ``cli.STAGES`` and ``losses``."""
