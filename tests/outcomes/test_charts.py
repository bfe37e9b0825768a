"""The plain-SVG charts: valid XML, accessible, escaped, no style attributes (the CSP refuses them)."""

import xml.etree.ElementTree as ET

import pytest

from kneadwell.outcomes.charts import Point, Series, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def chart(**kwargs):  # type: ignore[no-untyped-def]
    series = [
        Series("Pain <before>", (Point(1, 7, "2026-11-01"), Point(2, 6), Point(3, 4))),
        Series("After", (Point(1, 4),), dashed=True),
    ]
    return line_chart(
        series,
        **{
            "title": "Pain & more",
            "y_min": 0,
            "y_max": 10,
            "target": 5,
            "target_label": "MCID (2)",
            **kwargs,
        },
    )


def test_the_chart_is_well_formed_svg_with_a_title_and_description():
    root = ET.fromstring(chart())
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Pain & more"
    assert "visit 3 4" in root.find(f"{SVG}desc").text


def test_every_point_has_a_label_and_text_is_escaped():
    svg = chart()
    root = ET.fromstring(svg)
    assert len(root.findall(f"{SVG}circle")) == 3
    assert len(root.findall(f"{SVG}rect")) == 2  # the background and the dashed series' square marker
    assert "Pain &lt;before&gt;" in svg


def test_no_style_attribute_anywhere():
    assert "style=" not in chart()


def test_higher_is_better_is_said_in_words():
    assert "higher is better" in chart(higher_is_better=True)
    assert "lower is better" in chart()


def test_an_empty_range_is_refused():
    with pytest.raises(ValueError, match="y_max"):
        chart(y_min=5, y_max=5)
