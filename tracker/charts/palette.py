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
# Claims of other sources: colour and marker pairs, one per source in the order of the source
# registry (tracker.sources), so a source looks the same on every chart. Triangles are kept for
# bounds ("more than", "up to"); no pair repeats, so no two sources look alike.
SOURCE_STYLES = [
    (OKABE_ITO["vermillion"], "D"),
    (OKABE_ITO["green"], "o"),
    (OKABE_ITO["orange"], "s"),
    (OKABE_ITO["purple"], "o"),
    (OKABE_ITO["black"], "s"),
    (OKABE_ITO["sky_blue"], "P"),
    (OKABE_ITO["green"], "X"),
    (OKABE_ITO["orange"], "h"),
    (OKABE_ITO["purple"], "X"),
    (OKABE_ITO["black"], "P"),
]
