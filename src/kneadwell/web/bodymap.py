"""The body map: a front and a back figure whose areas are clickable, with checkboxes as the keyboard
and screen-reader way to choose."""

from __future__ import annotations

from typing import Any

from kneadwell.knowledge import catalogue
from kneadwell.web.presenters import area_choices

# The body map: simple shapes per area token on a front and a back figure (viewBox 0 0 200 400).
# Front view: the patient's right is on the viewer's left; back view: the patient's left is.
BODY_SHAPES: dict[str, list[tuple[str, str, dict[str, int]]]] = {
    "head": [("front", "ellipse", {"cx": 100, "cy": 22, "rx": 20, "ry": 16})],
    "face": [("front", "rect", {"x": 84, "y": 36, "width": 32, "height": 15, "rx": 7})],
    "jaw:right": [("front", "rect", {"x": 80, "y": 52, "width": 19, "height": 9, "rx": 4})],
    "jaw:left": [("front", "rect", {"x": 101, "y": 52, "width": 19, "height": 9, "rx": 4})],
    "chest": [("front", "rect", {"x": 74, "y": 76, "width": 52, "height": 44, "rx": 8})],
    "abdomen": [("front", "rect", {"x": 76, "y": 122, "width": 48, "height": 46, "rx": 8})],
    "shoulder:right": [("front", "ellipse", {"cx": 60, "cy": 82, "rx": 14, "ry": 11})],
    "shoulder:left": [("front", "ellipse", {"cx": 140, "cy": 82, "rx": 14, "ry": 11})],
    "upper_arm:right": [("front", "rect", {"x": 44, "y": 95, "width": 18, "height": 52, "rx": 8})],
    "upper_arm:left": [("front", "rect", {"x": 138, "y": 95, "width": 18, "height": 52, "rx": 8})],
    "forearm:right": [("front", "rect", {"x": 38, "y": 150, "width": 18, "height": 50, "rx": 8})],
    "forearm:left": [("front", "rect", {"x": 144, "y": 150, "width": 18, "height": 50, "rx": 8})],
    "wrist_hand:right": [("front", "rect", {"x": 32, "y": 203, "width": 20, "height": 34, "rx": 9})],
    "wrist_hand:left": [("front", "rect", {"x": 148, "y": 203, "width": 20, "height": 34, "rx": 9})],
    "knee:right": [("front", "ellipse", {"cx": 87, "cy": 262, "rx": 12, "ry": 12})],
    "knee:left": [("front", "ellipse", {"cx": 113, "cy": 262, "rx": 12, "ry": 12})],
    "ankle_foot:right": [("front", "rect", {"x": 74, "y": 356, "width": 24, "height": 36, "rx": 8})],
    "ankle_foot:left": [("front", "rect", {"x": 102, "y": 356, "width": 24, "height": 36, "rx": 8})],
    "neck": [("back", "rect", {"x": 88, "y": 50, "width": 24, "height": 22, "rx": 6})],
    "upper_back": [("back", "rect", {"x": 72, "y": 74, "width": 56, "height": 52, "rx": 8})],
    "low_back": [("back", "rect", {"x": 76, "y": 128, "width": 48, "height": 38, "rx": 8})],
    "hip_gluteal:left": [("back", "rect", {"x": 76, "y": 168, "width": 23, "height": 32, "rx": 8})],
    "hip_gluteal:right": [("back", "rect", {"x": 101, "y": 168, "width": 23, "height": 32, "rx": 8})],
    "thigh:left": [("back", "rect", {"x": 76, "y": 203, "width": 22, "height": 60, "rx": 8})],
    "thigh:right": [("back", "rect", {"x": 102, "y": 203, "width": 22, "height": 60, "rx": 8})],
    "calf:left": [("back", "rect", {"x": 78, "y": 278, "width": 20, "height": 76, "rx": 8})],
    "calf:right": [("back", "rect", {"x": 102, "y": 278, "width": 20, "height": 76, "rx": 8})],
}


# Body outline parts that are not areas (drawn grey, not clickable), so the figures read as bodies.
BODY_OUTLINE: dict[str, list[tuple[str, dict[str, int]]]] = {
    "front": [
        ("rect", {"x": 90, "y": 60, "width": 20, "height": 16, "rx": 4}),
        ("rect", {"x": 76, "y": 170, "width": 48, "height": 22, "rx": 8}),
        ("rect", {"x": 76, "y": 192, "width": 22, "height": 58, "rx": 8}),
        ("rect", {"x": 102, "y": 192, "width": 22, "height": 58, "rx": 8}),
        ("rect", {"x": 77, "y": 276, "width": 20, "height": 78, "rx": 8}),
        ("rect", {"x": 103, "y": 276, "width": 20, "height": 78, "rx": 8}),
    ],
    "back": [
        ("ellipse", {"cx": 100, "cy": 26, "rx": 20, "ry": 22}),
        ("ellipse", {"cx": 60, "cy": 82, "rx": 14, "ry": 11}),
        ("ellipse", {"cx": 140, "cy": 82, "rx": 14, "ry": 11}),
        ("rect", {"x": 44, "y": 95, "width": 18, "height": 52, "rx": 8}),
        ("rect", {"x": 138, "y": 95, "width": 18, "height": 52, "rx": 8}),
        ("rect", {"x": 38, "y": 150, "width": 18, "height": 50, "rx": 8}),
        ("rect", {"x": 144, "y": 150, "width": 18, "height": 50, "rx": 8}),
        ("rect", {"x": 32, "y": 203, "width": 20, "height": 34, "rx": 9}),
        ("rect", {"x": 148, "y": 203, "width": 20, "height": 34, "rx": 9}),
        ("ellipse", {"cx": 87, "cy": 268, "rx": 11, "ry": 9}),
        ("ellipse", {"cx": 113, "cy": 268, "rx": 11, "ry": 9}),
        ("rect", {"x": 76, "y": 358, "width": 24, "height": 34, "rx": 8}),
        ("rect", {"x": 100, "y": 358, "width": 24, "height": 34, "rx": 8}),
    ],
}


def body_map_context(
    selected: list[str], *, patient: bool = False, map_id: str = "bodymap"
) -> dict[str, Any]:
    """The body map's figures and the region checkboxes (the keyboard and screen-reader way to choose)."""
    chosen = set(selected)
    choices = area_choices()
    labels = {c.token: (c.patient_label if patient else c.label) for c in choices}
    figures = []
    for view, title, left, right in (
        ("front", "Front", "R", "L"),
        ("back", "Back", "L", "R"),
    ):
        shapes = [
            {
                "token": token,
                "kind": kind,
                "attrs": attrs,
                "label": labels.get(token, token),
                "on": token in chosen,
            }
            for token, parts in BODY_SHAPES.items()
            for v, kind, attrs in parts
            if v == view
        ]
        outline = [{"kind": kind, "attrs": attrs} for kind, attrs in BODY_OUTLINE[view]]
        figures.append(
            {"view": view, "title": title, "left": left, "right": right, "shapes": shapes, "outline": outline}
        )
    rows: list[dict[str, Any]] = []
    for c in choices:
        if rows and rows[-1]["region"] == c.region:
            rows[-1]["options"].append(c)
        else:
            name = catalogue.regions()[c.region]
            rows.append(
                {"region": c.region, "name": name.patient_name if patient else name.name, "options": [c]}
            )
    return {"map_id": map_id, "figures": figures, "rows": rows, "selected": chosen, "patient_words": patient}
