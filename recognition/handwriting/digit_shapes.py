"""The forms (allographs) of the ten digits, in two families, as in greek_shapes.py.

The own digit sets (photos, 28x28 crops, sheets; `glyphs.OWN_STYLE`) draw from the "O" family,
which holds every common way of writing each digit (1 as a stick or with a flag, 4 open or closed,
7 with or without a bar, 9 with a straight or curled stem, ...); the "R" family holds other
skeletons of them, for a reference set of digits drawn by other hands (none is built in: MNIST is
the digits' reference).
"""

from __future__ import annotations

# fmt: off
DIGIT_FORMS: dict[str, dict[str, tuple[str, str]]] = {
    "0": {
        "oval": ("O", "o 50 50 30 46 -100 -375"),
        "narrow, slanted start": ("O", "o 50 50 22 47 -60 -390"),
        "open at the top": ("O", "o 50 50 28 46 -70 -335"),
        "round, clockwise": ("R", "o 50 50 32 45 -90 375"),
        "pointed top": ("R", "c 48 4 30 20 24 52 32 84 50 96 68 84 74 50 66 18 48 4 40 12"),
    },
    "1": {
        "plain stick": ("O", "l 52 4 48 96"),
        "with flag": ("O", "l 36 20 56 4 50 96"),
        "with flag and base": ("O", "l 38 18 56 4 52 94 | l 30 95 74 94"),
        "long flag": ("R", "l 24 30 56 4 52 96"),
        "curved flag": ("R", "c 36 18 46 12 56 4 | l 56 4 52 96"),
        "stick with a serif": ("R", "l 44 10 54 4 50 96"),
    },
    "2": {
        "straight base": ("O", "c 18 28 30 10 52 4 74 14 76 36 55 62 16 94 | l 16 94 86 92"),
        "looped base": ("O", "c 18 26 34 6 62 6 76 26 60 56 30 86 20 95 30 98 36 86 50 90 86 94"),
        "round top, curved base": ("R", "c 20 24 36 6 62 6 76 22 70 46 40 74 16 94 50 88 70 92 86 96"),
        "z-like": ("R", "c 16 20 40 6 70 8 74 24 60 44 20 92 | l 20 92 84 90"),
    },
    "3": {
        "round top": ("O", "c 20 15 45 4 72 10 74 30 44 48 | c 44 48 74 58 80 80 58 96 34 96 18 84"),
        "flat top": ("O", "l 18 6 78 6 44 42 | c 44 42 72 50 80 74 60 94 36 96 16 84"),
        "one stroke, pointed middle": ("R", "c 22 12 50 2 72 14 66 34 42 46 70 54 78 78 60 96 30 94 18 84"),
        "looped middle": ("R", "c 20 16 48 4 70 14 66 34 46 44 40 40 48 42 72 54 78 80 58 96 28 94"),
    },
    "4": {
        "closed": ("O", "l 62 4 14 66 86 66 | l 66 32 64 98"),
        "open": ("O", "l 24 4 18 58 84 58 | l 72 6 70 98"),
        "open, one stroke": ("O", "l 26 4 16 60 86 58 | l 66 30 62 98"),
        "closed, crossed high": ("R", "l 70 98 70 4 10 62 90 60"),
        "open, curved": ("R", "c 30 4 24 30 20 56 50 58 88 56 | l 68 20 66 98"),
    },
    "5": {
        "flag separate": ("O", "l 78 5 30 5 26 44 | c 26 44 52 38 76 50 78 74 60 93 36 96 16 86"),
        "one stroke": ("O", "c 30 6 26 44 52 38 76 52 76 78 56 95 20 88 | l 30 6 80 4"),
        "flag last, round belly": ("R", "l 30 4 24 46 | c 24 46 56 36 80 54 76 82 54 96 22 90 | l 30 4 78 2"),
        "angular": ("R", "l 80 4 28 6 24 40 | c 24 40 50 36 72 44 74 70 56 92 18 90"),
    },
    "6": {
        "curved stem": ("O", "c 66 4 46 18 32 42 28 68 36 90 54 96 70 84 70 64 54 54 38 58 30 70"),
        "straight stem": ("O", "c 58 4 40 34 28 64 32 88 52 97 72 84 70 62 50 54 32 64"),
        "small loop": ("R", "c 72 6 50 14 34 40 30 70 40 92 58 94 68 80 62 64 46 64 34 76"),
        "big loop": ("R", "c 60 2 36 30 24 60 30 86 50 96 72 88 76 64 62 46 40 48 26 64"),
    },
    "7": {
        "plain": ("O", "l 14 8 84 6 40 96"),
        "with bar": ("O", "l 14 8 84 6 40 96 | l 36 50 78 48"),
        "curved stem": ("O", "c 14 10 50 6 84 6 64 40 50 70 46 96"),
        "hooked start": ("R", "l 16 18 18 6 84 6 46 96"),
        "barred, curved": ("R", "c 12 10 48 8 86 4 62 44 52 72 50 96 | l 30 50 76 48"),
    },
    "8": {
        "one stroke": ("O", "c 72 16 50 4 28 14 30 34 50 48 72 64 72 86 50 97 28 86 30 64 50 48 70 32 72 16"),
        "two circles": ("O", "o 50 26 20 20 90 370 | o 50 70 26 25 -90 -370"),
        "from the middle":
            ("R", "c 50 48 30 36 32 12 50 4 68 12 66 34 50 48 28 62 30 88 50 97 70 88 70 62 50 48"),
        "small top loop":
            ("R", "c 68 12 50 2 34 10 38 28 52 40 74 60 70 90 48 98 28 86 32 62 52 40 64 22 68 12"),
    },
    "9": {
        "straight stem": ("O", "o 48 28 26 23 -10 -370 | l 74 26 68 97"),
        "curled stem": ("O", "o 48 28 26 23 -10 -370 | c 74 26 72 60 62 86 46 97"),
        "one stroke, g-like": ("R", "c 72 14 52 2 30 10 26 32 42 50 64 44 72 20 72 60 66 86 46 98 28 92"),
        "one stroke, straight": ("R", "c 70 10 50 4 30 14 28 36 46 50 66 40 70 10 | l 70 10 66 98"),
    },
}
# fmt: on
