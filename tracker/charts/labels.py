"""Labels that keep out of each other's way: the first free place among candidate offsets, or a
row of labels with leader lines where anchors cluster."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from tracker.charts.measure import text_width_pt
from tracker.charts.palette import MUTED, TEXT
from tracker.charts.theme import SMALL_PT

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.patheffects import AbstractPathEffect
    from matplotlib.text import Annotation
    from matplotlib.transforms import Bbox

Box = tuple[float, float, float, float]  # display pixels: x0, y0, x1, y1
# A label's place: an offset in points from its anchor, optionally with the alignment there.
Spot = tuple[float, float] | tuple[float, float, str, str]
# Candidate offsets (points) from a label's anchor, nearest first; place_labels then tries each
# again further out.
OFFSETS: tuple[tuple[float, float], ...] = (
    (0, 8),
    (-10, 8),
    (10, 8),
    (0, 18),
    (-24, 14),
    (24, 14),
    (-40, 24),
    (40, 24),
    (0, 30),
    (-60, 34),
    (60, 34),
    (0, 44),
    (-80, 44),
    (80, 44),
)


def halo() -> list[AbstractPathEffect]:
    """A white outline under label text, so it stays legible over bars and lines."""
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.2, foreground="white")]


@dataclass
class Label:
    """A text to place near an anchor point (data coordinates)."""

    x: float
    y: float
    text: str
    colour: str = TEXT
    size: float = SMALL_PT + 0.5
    weight: str = "normal"
    gid: str = "label"
    ha: str = "center"  # how the text aligns to its offset point: left, center, right
    va: str = "bottom"  # bottom or top


def _annotate(ax: Axes, lab: Label, dx: float, dy: float, leader: dict[str, Any] | None) -> Annotation:
    """The label's text at (dx, dy) points from its anchor, haloed, with `leader` as its line."""
    return ax.annotate(
        lab.text,
        (lab.x, lab.y),
        xytext=(dx, dy),
        textcoords="offset points",
        ha=lab.ha,
        va=lab.va,
        fontsize=lab.size,
        color=lab.colour,
        fontweight=lab.weight,
        linespacing=1.1,
        annotation_clip=False,
        path_effects=halo(),
        arrowprops=leader,
        gid=lab.gid,
    )


def place_labels(
    ax: Axes,
    labels: Sequence[Label],
    *,
    offsets: Sequence[Spot] | None = None,
    avoid: Sequence[Box] = (),
    leader_beyond_pt: float = 10.0,
    drop: bool = False,
) -> list[Annotation]:
    """Place each label at the first candidate offset (points; with its own alignment when the
    offset says (dx, dy, ha, va)) where it overlaps no placed label, no box in `avoid` (display
    pixels) and stays inside the axes; further out with a leader line if none fits (or left out
    if `drop`). Labels are placed in the order given: put the most important first.
    """
    fig = ax.figure
    scale = fig.dpi / 72.0
    offsets = OFFSETS if offsets is None else offsets
    further = [(o[0] * 1.6, o[1] * 1.6 + 10, *o[2:]) for o in offsets]
    candidates: list[Spot] = [*offsets, *([] if drop else further)]
    bbox = ax.get_window_extent()
    placed: list[Box] = list(avoid)
    drawn: list[tuple[tuple[float, float], tuple[float, float]]] = []  # leaders placed so far
    artists = []
    for lab in labels:
        lines = lab.text.split("\n")
        w = max(text_width_pt(fig, s, lab.size, lab.weight) for s in lines) * scale + 4
        h = lab.size * 1.2 * len(lines) * scale + 2
        ax_x, ax_y = ax.transData.transform((lab.x, lab.y))
        choice: tuple[Label, float, float, Box] | None = None
        fallback: tuple[Label, float, float, Box, float] | None = None
        for spot in candidates:
            dx, dy = spot[0], spot[1]
            aligned = replace(lab, ha=spot[2], va=spot[3]) if len(spot) == 4 else lab
            cx, cy = ax_x + dx * scale, ax_y + dy * scale
            # Box of the text aligned at (cx, cy).
            left = cx - {"left": 0.0, "center": w / 2, "right": w}[aligned.ha]
            bottom = cy - (h if aligned.va == "top" else 0.0)
            box = (left, bottom, left + w, bottom + h)
            outside = box[0] < bbox.x0 or box[2] > bbox.x1 or box[1] < bbox.y0 or box[3] > bbox.y1
            cost = sum(_overlap_area(box, other) for other in placed) + (w * h if outside else 0.0)
            if math.hypot(dx, dy) > leader_beyond_pt:
                # A leader may cross no other leader nor pass through another label.
                seg = ((ax_x, ax_y), (cx, cy))
                cost += w * h * sum(_segments_cross(*seg, *other) for other in drawn)
                cost += w * h * sum(_segment_in_box(*seg, other) for other in placed[len(avoid) :])
            if cost == 0:
                choice = (aligned, dx, dy, box)
                break
            if fallback is None or cost < fallback[4]:
                fallback = (aligned, dx, dy, box, cost)
        if choice is None:
            if drop or fallback is None:
                continue
            choice = fallback[:4]  # nothing fits: the least overlapping place
        aligned, dx, dy, box = choice
        placed.append(box)
        far = math.hypot(dx, dy) > leader_beyond_pt
        if far:
            drawn.append(((ax_x, ax_y), (ax_x + dx * scale, ax_y + dy * scale)))
        leader = dict(arrowstyle="-", color=MUTED, linewidth=0.5, shrinkA=0, shrinkB=2) if far else None
        artists.append(_annotate(ax, aligned, dx, dy, leader))
    return artists


@dataclass
class _Item:
    """A label of a row, measured: its anchor and size in display pixels."""

    label: Label
    px: float
    py: float
    w: float
    h: float


@dataclass
class _Row:
    """Where a cluster of labels goes: its left and right edge, its baseline and each label's
    centre, in display pixels."""

    left: float
    right: float
    base: float
    centres: list[float]


def row_labels(
    ax: Axes,
    labels: Sequence[Label],
    *,
    offset_pt: float = 7.0,
    gap_pt: float = 10.0,
    ceiling: Callable[[float, float], float] | None = None,
) -> list[Annotation]:
    """Labels above their anchors; where they would collide they merge into one row above the
    cluster's highest anchor, side by side in the anchors' order, with elbowed leader lines: from
    each label down to one height just above the highest anchor, then straight down to its own
    anchor. Labels and anchors in the same order and one height for every bend, no two leaders
    cross and none passes through another anchor's column (a record's bar). `ceiling(x0, x1)` gives
    the highest data value between two x (data units): a row is lifted above it too."""
    fig = ax.figure
    scale = fig.dpi / 72.0
    items = []
    for lab in sorted(labels, key=lambda lab: lab.x):
        lines = lab.text.split("\n")
        w = max(text_width_pt(fig, t, lab.size, lab.weight) for t in lines) * scale
        h = lab.size * 1.15 * len(lines) * scale
        px, py = ax.transData.transform((lab.x, lab.y))
        items.append(_Item(lab, px, py, w, h))
    gap, off = gap_pt * scale, offset_pt * scale
    bbox = ax.get_window_extent()

    def row(cluster: list[_Item], lift: float = 0.0) -> _Row:
        return _row(ax, bbox, cluster, gap, off, ceiling, lift)

    clusters = [[item] for item in items]
    merged = True
    while merged:
        merged = False
        for k in range(len(clusters) - 1):
            a, b = row(clusters[k]), row(clusters[k + 1])
            ha = max(item.h for item in clusters[k])
            hb = max(item.h for item in clusters[k + 1])
            if a.right + gap > b.left and a.base < b.base + hb and b.base < a.base + ha:
                clusters[k] = clusters[k] + clusters.pop(k + 1)
                merged = True
                break
    artists = []
    for cluster in clusters:
        placed = row(cluster)
        if len(cluster) > 1:
            # Lift a row of several labels (as far as the axes allow) so its leaders slope.
            room = bbox.y1 - placed.base - max(item.h for item in cluster)
            placed = row(cluster, max(0.0, min(room, off)))
        knee = max(item.py for item in cluster) + off / 2
        for item, cx in zip(cluster, placed.centres):
            dx, dy = (cx - item.px) / scale, (placed.base - item.py) / scale
            far = abs(dx) > 2 or dy > offset_pt + 4
            leader = _elbow(cx, placed.base, item.px, knee) if far else None
            artists.append(_annotate(ax, item.label, dx, dy, leader))
    return artists


def _elbow(x0: float, y0: float, x1: float, knee: float) -> dict[str, Any]:
    """A leader from a label's bottom centre (x0, y0) to the height `knee` above its anchor's x
    (x1), then straight down to the anchor (display pixels); a straight one when they line up."""
    style: dict[str, Any] = dict(arrowstyle="-", color=MUTED, linewidth=0.5, shrinkA=1, shrinkB=3, relpos=(0.5, 0.0))
    if abs(x1 - x0) >= 1.0 and y0 > knee:
        angle = math.degrees(math.atan2(knee - y0, x1 - x0))
        style["connectionstyle"] = f"angle,angleA={angle:.4f},angleB=90,rad=0"
    return style


def _segments_cross(
    p1: tuple[float, float], p2: tuple[float, float], q1: tuple[float, float], q2: tuple[float, float]
) -> bool:
    """Whether two segments cross (touching at an end is not crossing)."""

    def side(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    return side(q1, q2, p1) * side(q1, q2, p2) < 0 and side(p1, p2, q1) * side(p1, p2, q2) < 0


def _row(
    ax: Axes,
    bbox: Bbox,
    cluster: list[_Item],
    gap: float,
    off: float,
    ceiling: Callable[[float, float], float] | None,
    lift: float = 0.0,
) -> _Row:
    """A cluster's labels side by side, centred under their anchors but inside the axes, `off`
    (plus `lift`) above the highest anchor (and half that above the ceiling between its edges)."""
    widths = [item.w for item in cluster]
    total = sum(widths) + gap * (len(cluster) - 1)
    centre = (cluster[0].px + cluster[-1].px) / 2
    left = min(max(centre - total / 2, bbox.x0), bbox.x1 - total)
    base = max(item.py for item in cluster) + off + lift
    if ceiling is not None:
        inverse = ax.transData.inverted()
        (dx0, _), (dx1, _) = inverse.transform((left, 0)), inverse.transform((left + total, 0))
        top = ceiling(min(dx0, dx1), max(dx0, dx1))
        if math.isfinite(top):
            base = max(base, ax.transData.transform((dx0, top))[1] + off / 2)
    centres, x = [], left
    for wd in widths:
        centres.append(x + wd / 2)
        x += wd + gap
    return _Row(left, left + total, base, centres)


def _segment_in_box(p: tuple[float, float], q: tuple[float, float], box: Box) -> bool:
    """Whether a segment passes through a box (display pixels)."""
    x0, y0, x1, y1 = box
    if any(x0 < x < x1 and y0 < y < y1 for x, y in (p, q)):
        return True
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    return any(_segments_cross(p, q, corners[i], corners[(i + 1) % 4]) for i in range(4))


def _overlap_area(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def point_boxes(ax: Axes, xs: Iterable[float], ys: Iterable[float], radius_pt: float = 3.0) -> list[Box]:
    """Display boxes around markers, for place_labels to avoid."""
    r = radius_pt * ax.figure.dpi / 72.0
    out = []
    for x, y in zip(xs, ys):
        px, py = ax.transData.transform((x, y))
        out.append((px - r, py - r, px + r, py + r))
    return out
