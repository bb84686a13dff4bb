"""Colours: the Okabe–Ito palette (safe for colour-blind readers), what each colour stands for on a
chart, and one colour and marker per claimant source."""

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
SERIES = OKABE_ITO["blue"]
BARS = "#9cc9e8"  # sky blue, lightened: many thin bars must not outshout the lines over them
FLAGGED = OKABE_ITO["purple"]
RECORD = OKABE_ITO["vermillion"]
SECOND = OKABE_ITO["black"]
TEXT = "#222222"
MUTED = "#666666"
GRID = "#e3e3e3"
# Claims of other sources: a colour and a marker each. The sources drawn together take colours in
# the registry's order, so up to nine look different by colour alone (and by marker too, for
# print and colour-blind readers; the first six are Okabe-Ito's, the last three darker tones
# that stay apart from them); past nine, colours repeat with another marker, so no two sources
# share both (see overlay.styles_for). Blue is the series' own colour, yellow too pale for a
# small marker on white, and triangles mark bounds ("more than", "up to"): none is used here.
CLAIM_COLOURS = (
    OKABE_ITO["green"],
    OKABE_ITO["orange"],
    OKABE_ITO["purple"],
    OKABE_ITO["black"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["vermillion"],
    "#8C510A",  # brown
    "#999999",  # grey
    "#882255",  # wine
)
CLAIM_MARKERS = ("o", "s", "D", "X", "p", "P")
# How far each cycle of colours shifts the markers: the second cycle by half the list, so that
# sources sharing a colour differ most in shape (circle and cross, square and star, ...).
MARKER_SHIFTS = (0, 3, 1, 4, 2, 5)


def source_style(rank: int) -> tuple[str, str]:
    """(colour, marker) of the source at `rank` among those drawn together: colours cycle, and
    each cycle shifts the markers, so every rank below 36 has its own pair."""
    cycle, colour = divmod(rank, len(CLAIM_COLOURS))
    # Colours past the markers' count start half-way along them (the seventh colour a cross, not
    # a second circle), so the first nine sources differ in marker too wherever they can.
    shift = MARKER_SHIFTS[cycle % len(MARKER_SHIFTS)] + (colour // len(CLAIM_MARKERS)) * 3
    return CLAIM_COLOURS[colour], CLAIM_MARKERS[(colour + shift) % len(CLAIM_MARKERS)]
