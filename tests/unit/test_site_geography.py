"""The map's offline geography: a place lands inside its own state's outline, Alaska, Hawaii
and Puerto Rico in their insets, and a site is found by its sheet's coordinates or its ZIP."""

import pytest

from bulkquote_gui.core.geo.albers_usa import FRAME_HEIGHT, FRAME_WIDTH, project
from bulkquote_gui.core.geo.site_points import sheet_coordinates, site_point, zip_centre
from bulkquote_gui.core.geo.us_states import state_at, us_states

CITIES = [  # (state, city, longitude, latitude)
    ("NY", "New York", -73.97, 40.78), ("CA", "San Francisco", -122.42, 37.77),
    ("FL", "Miami", -80.19, 25.77), ("WA", "Seattle", -122.33, 47.61),
    ("TX", "Austin", -97.74, 30.27), ("CO", "Denver", -104.99, 39.74),
    ("IL", "Chicago", -87.63, 41.88), ("ME", "Portland", -70.26, 43.66),
    ("DC", "Washington", -77.04, 38.90), ("MN", "Minneapolis", -93.27, 44.98),
    ("AK", "Anchorage", -149.90, 61.22), ("AK", "Juneau", -134.42, 58.30),
    ("AK", "Adak (west of 180 is not)", -176.66, 51.88),
    ("HI", "Honolulu", -157.86, 21.31), ("HI", "Hilo", -155.09, 19.72),
    ("PR", "San Juan", -66.11, 18.41), ("PR", "Ponce", -66.61, 18.01),
]


@pytest.mark.parametrize(("state", "city", "lon", "lat"), CITIES, ids=[c[1] for c in CITIES])
def test_a_city_lands_inside_its_own_state(state, city, lon, lat):
    point = project(lon, lat)
    assert point is not None
    found = state_at(*point)
    assert found is not None and found.code == state, f"{city} fell in {found and found.code}"


def _box(code):
    xs = [x for ring in next(s for s in us_states() if s.code == code).rings for x, _ in ring]
    ys = [y for ring in next(s for s in us_states() if s.code == code).rings for _, y in ring]
    return min(xs), min(ys), max(xs), max(ys)


def _area(code):
    rings = next(s for s in us_states() if s.code == code).rings
    return sum(abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(r, r[1:] + r[:1]))) / 2
               for r in rings)


def test_alaska_hawaii_and_puerto_rico_are_insets_under_the_lower_48():
    lower = [_box(c) for c in ("CA", "TX", "FL", "ME", "WA")]
    texas_bottom = _box("TX")[3]
    west, east = min(b[0] for b in lower), max(b[2] for b in lower)
    for code in ("AK", "HI"):   # bottom left, under the south-west
        x0, y0, x1, y1 = _box(code)
        assert x1 < _box("TX")[0] + 60 and y1 > _box("CA")[3], code
        assert 0 <= x0 and y1 <= FRAME_HEIGHT, code
    x0, y0, x1, y1 = _box("PR")   # bottom right, east of Florida
    assert x0 > _box("FL")[2] and y0 > _box("GA")[1] and x1 <= FRAME_WIDTH
    # Alaska is shrunk (2.5 times Texas, drawn smaller) and nothing is outside the frame
    assert _area("AK") < _area("TX")
    assert west >= 0 and east <= FRAME_WIDTH and texas_bottom <= FRAME_HEIGHT


def test_places_off_the_map_have_no_point():
    assert project(144.79, 13.44) is None     # Guam
    assert project(0.0, 0.0) is None          # a blank latitude/longitude read as zeros
    assert project(-0.13, 51.5) is None       # London


def test_the_sheets_own_coordinates_win_over_the_zip():
    anchorage = {"Site Latitude": "61.2181", "Site Longitude": "-149.9003", "Zip": "10001"}
    assert sheet_coordinates(anchorage) == (-149.9003, 61.2181)
    assert state_at(*site_point(anchorage, "10001")).code == "AK"


@pytest.mark.parametrize("cells", [
    {}, {"Lat": "", "Long": ""}, {"Latitude": "n/a", "Longitude": "-74"},
    {"Latitude": "95", "Longitude": "-74"},            # not a latitude
    {"Long Name": "-74", "Latitude": "40"},            # "Long" here is not a longitude
])
def test_no_usable_coordinates_fall_back_to_the_zip(cells):
    assert sheet_coordinates(cells) is None
    assert state_at(*site_point(cells, "10001")).code == "NY"


def test_zip_centres_from_the_offline_table():
    lon, lat = zip_centre("94105")
    assert -123 < lon < -122 and 37 < lat < 38
    assert zip_centre("00000") is None
    assert site_point({}, "00000") is None and site_point({}, "") is None
    assert state_at(*site_point({}, "00901")).code == "PR"
    assert state_at(*site_point({}, "96813")).code == "HI"


def test_every_state_dc_and_puerto_rico_are_drawn():
    codes = {s.code for s in us_states()}
    assert len(codes - {"DC", "PR", "VI"}) == 50 and {"DC", "PR"} <= codes
    assert all(s.rings for s in us_states())


def test_the_site_index_finds_the_nearest_dot_within_reach_only():
    from bulkquote_gui.core.geo.site_index import SiteIndex
    from bulkquote_gui.core.geo.site_points import MapSite

    sites = [MapSite(n, x, y, "g") for n, (x, y) in
             enumerate([(10.0, 10.0), (10.0, 17.5), (100.0, 100.0), (7.9, 8.1)], start=2)]
    index = SiteIndex(sites, cell=8.0)
    assert index.nearest(10.5, 11.0, 3.0).row_number == 2
    assert index.nearest(10.0, 16.0, 3.0).row_number == 3      # across a cell's edge
    assert index.nearest(8.0, 8.0, 1.0).row_number == 5
    assert index.nearest(50.0, 50.0, 5.0) is None
    assert index.nearest(100.0, 104.0, 3.0) is None and index.nearest(100.0, 104.0, 5.0).row_number == 4
    assert SiteIndex([]).nearest(0.0, 0.0, 10.0) is None
