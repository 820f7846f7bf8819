def test_settings_are_chinese_first(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
