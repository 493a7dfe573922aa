"""The forms (allographs) of the 24 lowercase Greek letters, in two families.

Each letter maps form names to (family, strokes): "R" forms are the reference family (the built-in
reference sets draw only these: each letter's common forms), "O" forms the other writers' family
(the other-writers and selection sets draw only these: other skeletons of the common forms, drawn
in another stroke order or proportion, and rarer forms). Strokes are in `strokes.parse`'s notation
(hundredths of a unit box, y down), or "hershey" for the letter of the Hershey simplex Greek face
(`HERSHEY`, see strokes.py for its acknowledgements), made upright.
"""

from __future__ import annotations

# Hershey simplex Greek (greeks.jhf), lowercase: margins, then coordinate pairs (" R" = pen up).
HERSHEY = {
    "alpha": "H]QMONMPLRKUKXLZN[P[RZUWWTYPZM RQMSMTNUPWXXZY[Z[",
    "beta": "I\\UFSGQIOMNPMTLZKb RUFWFYHYKXMWNUORO RROTPVRWTWWVYUZS[Q[OZNYMV",
    "gamma": "I\\JPLNNMOMQNROSRSVR[ RZMYPXRR[P_Ob",
    "delta": "I[TMQMONMPLSLVMYNZP[R[TZVXWUWRVOTMRKQIQGRFTFVGXI",
    "epsilon": "JZWOVNTMQMONOPPRSS RSSOTMVMXNZP[S[UZWX",
    "zeta": "JYTFRGQHQIRJUKXK RXKTMQONRMUMWNYP[S]T_TaSbQbP`",
    "eta": "H\\IQJOLMNMONOPNTL[ RNTPPRNTMVMXOXRWWTb",
    "theta": "G\\HQIOKMMMNNNPMUMXNZO[Q[SZUWVUWRXMXJWGUFSFRHRJSMUPWRZT",
    "iota": "LWRMPTOXOZP[R[TYUW",
    "kappa": "I[OMK[ RYNXMWMUNQROSNS RNSPTQUSZT[U[VZ",
    "lambda": "JZKFMFOGPHX[ RRML[",
    "mu": "H]OMIb RNQMVMYO[Q[SZUXWT RYMWTVXVZW[Y[[Y\\W",
    "nu": "I[LMOMNSMXL[ RYMXPWRUURXOZL[",
    "xi": "JZTFRGQHQIRJUKXK RUKRLPMOOOQQSTTVT RTTPUNVMXMZO\\S^T_TaRbPb",
    "omicron": "J[RMPNNPMSMVNYOZQ[S[UZWXXUXRWOVNTMRM",
    "pi": "G]PML[ RUMVSWXX[ RIPKNNM[M",
    "rho": "I[MSMVNYOZQ[S[UZWXXUXRWOVNTMRMPNNPMSIb",
    "sigma": "I][MQMONMPLSLVMYNZP[R[TZVXWUWRVOUNSM",
    "tau": "H\\SMP[ RJPLNOMZM",
    "upsilon": "H\\IQJOLMNMONOPMVMYO[Q[TZVXXTYPYM",
    "phi": "G]ONMOKQJTJWKYLZN[Q[TZWXYUZRZOXMVMTORSPXMb",
    "chi": "I[KMMMOOU`WbYb RZMYOWRM]K`Jb",
    "psi": "F]VFNb RGQHOJMLMMNMPLULXMZO[Q[TZVXXUZP[M",
    "omega": "F]NMLNJQITIWJZK[M[OZQW RRSQWRZS[U[WZYWZTZQYNXM",
}

# fmt: off
GREEK_FORMS: dict[str, dict[str, tuple[str, str]]] = {
    "alpha": {
        "fish, tails crossing right":
            ("R", "c 92 26 72 42 52 62 32 72 14 64 10 46 24 32 44 34 62 52 78 68 94 78"),
        "a-like, one stroke":
            ("R", "c 70 36 52 24 30 30 16 52 24 78 44 86 62 74 70 50 72 26 71 60 74 82 88 88"),
        "tall loop, tails crossing low":
            ("R", "c 86 20 72 46 56 72 36 88 16 80 8 54 18 26 38 14 54 30 66 60 78 84 94 90"),
        "hershey": ("R", "hershey"),
        "loop with a tail": ("O", "c 76 34 60 20 34 22 14 46 22 76 46 82 66 62 76 30 78 60 84 80 96 86"),
        "a-like, bowl and stem": ("O", "o 42 54 28 30 -20 -350 | c 74 20 73 60 76 84 90 88"),
        "narrow fish, long tails":
            ("O", "c 94 8 72 38 50 64 30 80 12 72 10 52 24 40 44 44 64 66 80 88 96 98"),
    },
    "beta": {
        "long descender, closed bowls":
            ("R", "c 24 100 24 50 27 14 44 2 64 5 68 20 50 33 36 35 | c 36 35 66 40 78 55 68 70 46 74 25 66"),
        "two small stacked bowls":
            ("R", "c 30 100 30 60 32 24 42 8 56 6 62 16 56 28 42 32 | c 42 32 60 36 66 48 58 60 42 62 31 56"),
        "hershey": ("R", "hershey"),
        "B-like, no descender":
            ("R", "l 30 78 30 4 | c 30 4 60 6 68 20 56 36 30 40 | c 30 40 70 44 76 62 60 78 30 78"),
        "long descender, open bowls":
            ("O", "c 26 100 25 50 28 12 46 2 66 8 66 26 50 38 | c 42 40 66 46 76 62 66 80 46 84"),
        "short descender, closed bowls":
            ("O", "c 30 98 28 40 34 10 52 2 70 12 60 28 30 36 | c 30 36 72 42 78 60 60 72 30 68"),
        "one stroke from the top, like a 3 on a stem":
            ("O", "c 36 8 52 2 64 10 60 24 44 32 60 38 66 52 56 64 38 64 | l 34 4 30 100"),
    },
    "gamma": {
        "y-like": ("R", "l 14 6 50 54 | c 86 6 60 52 44 80 32 100"),
        "v with a small loop": ("R", "c 6 20 20 8 36 22 50 60 56 84 50 98 40 90 46 70 66 36 92 6"),
        "hershey": ("R", "hershey"),
        "y-like, curved descender": ("O", "l 12 6 48 52 | c 88 6 70 36 50 66 40 86 28 98 16 96"),
        "v with a big round loop": ("O", "c 10 10 30 30 46 62 56 80 48 96 36 90 40 76 54 62 72 30 90 4"),
        "v with a straight tail": ("O", "c 8 14 22 6 40 30 50 56 | l 90 4 50 56 48 98"),
    },
    "delta": {
        "6-like with a hooked top":
            ("R", "c 74 12 52 2 30 8 32 24 58 40 78 62 72 88 48 98 24 84 26 58 56 42"),
        "curled top, round bowl":
            ("R", "c 28 14 40 4 58 6 70 20 74 48 66 76 48 90 30 86 24 68 34 52 52 48 70 56"),
        "6-like, curled top":
            ("R", "c 74 14 60 2 44 6 34 26 28 52 30 76 44 92 62 92 72 78 68 60 52 52 36 58 30 70"),
        "hershey": ("R", "hershey"),
        "6-like, tall": ("O", "c 66 6 46 18 32 40 28 64 36 86 52 94 68 84 70 64 56 52 40 56 30 68"),
        "bowl first, then up and curled":
            ("O", "c 66 54 50 46 32 54 26 72 36 88 54 90 68 76 72 52 68 28 56 10 40 6 30 14"),
        "small loop on top":
            ("O", "c 66 20 56 8 40 8 38 20 50 28 62 38 72 58 66 80 48 92 30 84 26 64 38 48 60 42"),
    },
    "epsilon": {
        "two bowls": ("R", "c 80 14 56 4 30 12 30 36 56 48 | c 56 48 28 54 20 76 40 96 64 94 82 82"),
        "one stroke": ("R", "c 76 18 58 6 36 10 30 26 44 42 60 44 44 46 26 56 22 74 36 92 58 96 78 86"),
        "hershey": ("R", "hershey"),
        "c with a bar": ("O", "c 78 14 54 6 32 16 22 44 26 72 46 90 72 90 84 80 | l 24 48 64 48"),
        "loop in the middle":
            ("O", "c 74 14 52 6 32 14 32 30 46 40 60 38 56 32 44 36 30 46 22 66 34 88 56 94 78 84"),
        "reversed 3": ("O", "c 76 12 48 6 30 18 38 36 58 44 | c 58 44 32 52 24 74 42 92 70 92"),
    },
    "zeta": {
        "bar, curve, hook": ("R", "l 26 4 74 4 | c 74 4 42 26 22 50 24 70 44 78 66 80 72 90 60 100"),
        "hershey": ("R", "hershey"),
        "one stroke, zigzag top": ("R", "c 30 6 46 12 64 8 56 14 38 30 24 52 26 70 44 78 64 82 70 92 60 100"),
        "z with a tail": ("O", "l 24 6 70 6 30 50 | c 30 50 26 70 44 78 66 84 64 98 54 100"),
        "curled top": ("O", "c 44 14 36 6 48 2 56 10 46 22 28 42 22 64 32 76 56 80 70 88 62 100"),
    },
    "eta": {
        "n with a long right leg": ("R", "c 8 12 18 6 24 20 24 70 | c 24 34 40 10 60 6 74 20 76 50 76 100"),
        "hershey": ("R", "hershey"),
        "one stroke": ("R", "c 8 22 16 12 24 20 24 62 24 36 36 20 52 16 68 22 72 44 72 100"),
        "pointed entry": ("O", "l 14 16 22 60 | c 22 60 26 36 40 20 58 18 70 30 70 60 68 100"),
        "curved descender":
            ("O", "c 6 24 14 14 22 22 20 64 | c 22 36 34 22 50 18 64 26 68 48 66 80 58 100 48 98"),
    },
    "theta": {
        "narrow loop, bar running out": ("R", "o 50 50 22 46 -80 -370 | l 14 50 88 48"),
        "loop, then a bar across":
            ("R", "c 54 4 36 12 28 50 36 86 52 96 68 86 74 50 68 14 54 4 | c 30 52 52 50 76 48"),
        "hershey": ("R", "hershey"),
        "round, bar within": ("R", "o 50 50 30 47 -80 -370 | l 20 50 80 50"),
        "slanted loop, bar out to the right": ("O", "o 50 50 20 46 -100 -380 | l 30 52 84 50"),
        "bar first, then the loop": ("O", "l 20 50 80 50 | o 50 50 28 46 -90 -360"),
        "cursive, open top":
            ("O", "c 10 50 20 40 28 48 28 70 36 90 50 92 62 80 68 56 70 26 62 8 50 6 44 18 52 38 70 50 90 "
                   "50"),
    },
    "iota": {
        "stick with a hook": ("R", "c 42 4 44 50 46 84 56 96 72 92"),
        "hershey": ("R", "hershey"),
        "plain stick": ("R", "l 50 10 48 90"),
        "entry hook and tail": ("O", "c 34 18 46 10 48 30 46 70 52 88 66 90"),
        "slanted stick": ("O", "c 54 8 50 50 46 88 50 92"),
    },
    "kappa": {
        "k-like": ("R", "l 22 4 20 96 | l 80 6 24 52 84 96"),
        "hershey": ("R", "hershey"),
        "curved arm": ("R", "l 24 10 22 90 | c 76 12 50 30 28 50 40 50 56 64 80 92"),
        "looped arm": ("O", "l 22 8 20 92 | c 78 10 56 22 32 46 24 54 36 54 50 60 66 80 84 94"),
        "three strokes": ("O", "l 26 4 24 96 | l 80 8 28 56 | l 40 46 84 96"),
    },
    "lambda": {
        "hooked top, short leg": ("R", "c 14 2 30 6 46 36 70 80 92 98 | l 50 44 10 98"),
        "hershey": ("R", "hershey"),
        "straight legs": ("R", "l 20 2 86 98 | l 52 46 14 98"),
        "cursive, foot flick": ("O", "c 10 8 26 2 40 20 62 70 76 94 94 92 | c 46 38 30 70 12 96"),
        "inverted y": ("O", "l 30 2 50 50 84 98 | l 50 50 16 98"),
        "short leg first": ("O", "c 12 96 30 70 48 44 | c 20 4 34 10 52 46 72 82 90 96"),
    },
    "mu": {
        "stem, u, tail": ("R", "l 20 4 20 100 | c 20 46 30 64 50 68 68 54 74 4 | c 72 44 76 62 90 68"),
        "hershey": ("R", "hershey"),
        "one stroke from the bottom":
            ("R", "c 20 100 20 50 20 10 22 48 32 66 50 70 66 56 72 14 72 60 76 72 88 72"),
        "pointed u": ("O", "l 22 8 20 100 | l 22 56 44 70 70 54 74 10 | c 74 10 74 60 82 72 94 68"),
        "descender last":
            ("O", "c 20 12 20 50 30 68 50 72 66 58 72 12 | c 72 12 72 62 80 74 92 70 | l 20 12 16 100"),
    },
    "nu": {
        "curled left arm": ("R", "c 8 12 20 8 32 40 46 94 | c 46 94 70 62 86 26 82 6"),
        "hershey": ("R", "hershey"),
        "plain v": ("R", "l 10 10 48 92 88 8"),
        "rounded, curled": ("O", "c 4 24 12 10 24 16 34 50 44 90 | c 44 90 66 70 84 40 86 14 80 6"),
        "u-like": ("O", "c 10 10 20 40 34 80 46 90 60 80 80 44 86 10"),
    },
    "xi": {
        "bar and two bowls":
            ("R", "l 28 3 74 3 | c 66 6 36 12 34 28 58 36 | c 58 36 30 42 22 60 42 74 68 80 66 92 52 100"),
        "hershey": ("R", "hershey"),
        "one stroke, stacked bowls":
            ("R", "c 40 4 60 6 48 12 30 22 36 36 58 40 40 44 24 58 28 76 52 82 66 90 58 100"),
        "no bar, loops":
            ("O", "c 46 8 64 4 70 10 52 18 36 26 44 38 60 40 44 46 28 56 26 72 40 80 62 84 68 94 54 100"),
        "z-like with a bump": ("O", "l 26 6 70 6 | c 70 6 40 20 40 32 60 38 36 46 26 64 42 78 66 82 60 98"),
    },
    "omicron": {
        "round": ("R", "o 50 50 45 42 -110 -370"),
        "hershey": ("R", "hershey"),
        "oval, clockwise": ("R", "o 50 50 34 44 -90 380"),
        "narrow, slanted start": ("O", "o 50 50 28 46 -120 -370"),
        "open at the top": ("O", "o 50 52 40 42 -70 -330"),
    },
    "pi": {
        "bar, straight and curved legs":
            ("R", "c 4 24 14 14 50 13 96 12 | l 32 14 28 90 | c 70 14 70 70 74 88 86 90"),
        "hershey": ("R", "hershey"),
        "bar over straight legs": ("R", "l 14 22 86 20 | l 34 20 30 92 | l 66 20 70 92"),
        "one stroke, n-like": ("O", "c 26 94 28 50 30 18 | l 30 18 76 16 | c 76 16 74 60 78 88 90 92"),
        "curled bar, legs inward":
            ("O", "c 6 28 12 16 24 14 60 14 94 12 | c 36 16 34 50 24 90 | c 66 16 66 60 70 86 84 90"),
    },
    "rho": {
        "descender, then the loop": ("R", "c 26 100 26 50 32 20 52 8 72 20 74 46 54 62 34 56 27 44"),
        "hershey": ("R", "hershey"),
        "p-like": ("R", "c 30 100 30 50 34 24 52 14 72 24 76 44 62 58 44 60 32 50"),
        "stem and bowl": ("O", "l 28 14 28 100 | c 28 22 46 12 68 18 76 38 64 56 44 58 28 50"),
        "loop first, then down": ("O", "c 30 40 40 16 60 12 76 28 72 50 52 60 34 52 30 40 28 70 24 100"),
    },
    "sigma": {
        "bowl, tail leaving the top": ("R", "c 94 16 60 18 32 28 16 56 30 84 56 86 72 60 64 30 46 20"),
        "hershey": ("R", "hershey"),
        "closed circle with a flick":
            ("R", "c 54 26 30 28 16 52 26 80 48 88 68 76 72 52 60 30 44 26 64 24 86 22 96 18"),
        "tail first, then the bowl":
            ("O", "l 96 20 46 24 | c 46 24 24 36 18 60 30 82 52 88 70 72 70 48 58 30 46 24"),
        "round bowl, straight tail": ("O", "o 40 60 28 28 -90 -360 | l 40 32 96 30"),
    },
    "tau": {
        "bar, stem curving right": ("R", "c 4 20 12 12 50 12 94 10 | c 50 12 48 60 52 84 68 90"),
        "hershey": ("R", "hershey"),
        "T-like": ("R", "l 10 14 90 14 | l 50 14 48 94"),
        "entry hook, curved stem": ("O", "c 4 28 10 18 24 14 90 14 | c 50 14 46 62 52 86 70 90"),
        "curled foot to the left": ("O", "l 12 12 88 10 | c 52 12 52 70 46 90 34 92"),
    },
    "upsilon": {
        "hooked left arm": ("R", "c 8 16 20 8 24 30 24 60 38 88 60 90 78 66 84 34 78 8"),
        "hershey": ("R", "hershey"),
        "u-like": ("R", "c 14 10 16 50 26 80 46 92 66 84 80 52 84 10"),
        "v-like, round bottom": ("O", "c 6 22 14 10 24 18 26 50 36 82 52 92 70 80 82 48 80 10"),
        "pointed": ("O", "c 10 14 20 8 26 30 40 86 50 92 66 70 82 30 80 8"),
    },
    "phi": {
        "oval and a stroke": ("R", "o 50 52 40 26 -90 -370 | l 52 0 48 100"),
        "hershey": ("R", "hershey"),
        "open loop, one stroke":
            ("R", "c 32 28 18 44 22 66 42 76 64 74 80 56 76 36 60 26 46 38 44 60 42 100"),
        "stroke first, then the oval": ("O", "l 50 0 50 100 | o 50 50 36 24 -90 -360"),
        "narrow oval": ("O", "l 52 2 48 98 | o 50 50 28 30 -180 -370"),
    },
    "chi": {
        "curved and straight": ("R", "c 6 6 20 6 50 50 80 94 94 94 | l 86 4 14 96"),
        "hershey": ("R", "hershey"),
        "plain x": ("R", "l 12 8 88 92 | l 86 8 14 92"),
        "straight first": ("O", "l 88 6 12 94 | c 8 10 22 8 50 48 78 90 94 94"),
        "crossing low": ("O", "c 10 6 24 12 56 60 70 86 86 98 | l 82 10 50 50 20 100"),
    },
    "psi": {
        "cup and a stroke": ("R", "c 6 16 14 22 20 50 36 66 50 68 66 64 80 48 90 16 | l 52 0 48 100"),
        "hershey": ("R", "hershey"),
        "pointed cup": ("R", "l 14 14 26 60 50 70 74 60 86 14 | l 50 4 50 100"),
        "stroke first, then the cup": ("O", "l 50 0 48 100 | c 8 16 14 50 30 66 50 68 70 64 86 46 88 12"),
        "hooked left arm": ("O", "c 4 24 12 14 20 22 22 50 38 68 54 68 74 56 84 30 84 10 | l 56 4 50 100"),
    },
    "omega": {
        "two bowls": ("R", "c 24 10 10 40 14 78 30 90 46 76 50 44 | c 50 44 54 76 70 90 86 78 90 40 76 10"),
        "hershey": ("R", "hershey"),
        "w-like, rounded": ("R", "c 18 12 8 44 16 80 32 90 46 76 50 50 54 76 68 90 84 80 92 44 82 12"),
        "pointed w": ("O", "l 8 12 26 88 50 40 74 88 92 12"),
        "curled start":
            ("O", "c 30 14 18 22 10 50 18 82 32 90 46 80 50 56 52 80 66 90 82 82 90 50 82 20 70 16"),
    },
}
# fmt: on
