from dataclasses import fields

import pytest

from astrocalc.config import defaults, load_schema
from astrocalc.errors import InputError
from astrocalc.pixelmodel import state_frames
from astrocalc.pixelmodel._store import SPILL_BYTES
from astrocalc.settings import (
    MAX_CHUNK_FRAMES,
    SECTIONS,
    WORKING_FRAMES,
    EventSettings,
    Sampling,
    SegmentationSettings,
    stream_frames,
)


@pytest.mark.parametrize("cls", SECTIONS, ids=lambda c: c.section)
def test_sections_are_the_schemas(cls):
    """Each typed section has exactly the schema's settings, and takes a whole config."""
    schema = load_schema()["properties"][cls.section]["properties"]
    assert [f.name for f in fields(cls)] == list(schema)
    assert cls.from_config(defaults()) == cls.of()


def test_a_partial_mapping_gets_the_defaults_and_a_bad_value_one_line():
    c = EventSettings.of({"high_threshold_sd": 3.0})
    assert c.high_threshold_sd == 3.0
    assert c.smooth_s == defaults()["events"]["smooth_s"]
    assert EventSettings.of(c) is c
    with pytest.raises(InputError, match="segmentation.smooth_um"):
        SegmentationSettings.of({"smooth_um": "wide"})
    with pytest.raises(InputError, match="unknown setting.*events.treshold"):
        EventSettings.of({"treshold": 3})


def test_sampling_converts_units():
    s = Sampling(frame_rate_hz=10.0, pixel_size_um=0.4)
    assert s.frames(0.3) == 3 and s.frames(0.01) == 1 and s.frames(0.01, at_least=0) == 0
    assert s.frame_span(60.0) == 600.0
    assert s.px(1.6) == pytest.approx(4.0) and s.area_px(1.6) == pytest.approx(10.0)
    assert s.min_area_px(2.0, 6) == 13 and s.min_area_px(0.5, 6) == 6


def test_chunks_are_sized_by_memory_unless_set():
    config = defaults()
    assert config["chunk_frames"] is None
    mid, large = stream_frames(config, (512, 512)), stream_frames(config, (1024, 1024))
    # the streamed arrays' bytes, not their frames, are what the budget fixes
    assert mid == 4 * large == 128
    assert large * 1024 * 1024 * 4 * WORKING_FRAMES <= config["memory_mb"] * 2**20
    assert stream_frames(config, (128, 128)) == MAX_CHUNK_FRAMES
    assert stream_frames({**config, "memory_mb": 64}, (4096, 4096)) == 16
    assert stream_frames({**config, "chunk_frames": 100}, (1024, 1024)) == 100


def test_per_pixel_state_is_set_aside_from_the_memory_budget():
    config = defaults()
    seg, sampling = SegmentationSettings.from_config(config), Sampling(10.0, 0.4)
    # 4,000 frames of 512 x 512: the baselines' 200 frames (2 x 100 bins of 40 frames)
    # leave 824 MB for chunks of 8 working frames each
    state = state_frames((4000, 512, 512), seg, sampling)
    assert state == 200
    chunk = stream_frames(config, (512, 512), state_frames=state)
    assert chunk == 103
    assert (state + chunk * WORKING_FRAMES) * 512 * 512 * 4 <= config["memory_mb"] * 2**20
    # 10,000 frames: 250 bins (262 MB) go to a temporary file, none is set aside
    assert 250 * 512 * 512 * 4 > SPILL_BYTES >= 100 * 512 * 512 * 4
    assert state_frames((10000, 512, 512), seg, sampling) == 0
    # state beyond the budget: the shortest chunks, not none
    assert stream_frames(config, (1024, 1024), state_frames=2000) == 16
    assert stream_frames({**config, "chunk_frames": 100}, (512, 512), state_frames=state) == 100
