"""Words for the results pages: award names and the Vietnamese of the reason and error codes that
services.prizes / services.qualifiers return (registries; unknown codes fall back to the English)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

AWARD_LABELS = {"first": _l("Nhất"), "second": _l("Nhì"), "third": _l("Ba"), "consolation": _l("Khuyến khích")}

STATE_LABELS = {"draft": _l("Bản nháp"), "locked": _l("Đã khoá"), "published": _l("Đã công bố")}

APPEAL_STATUS = {"open": _l("Đang chờ"), "rejudging": _l("Đang chấm lại"), "resolved": _l("Đã xử lý"),
                 "rejected": _l("Bị từ chối")}

PRIZE_REASONS = {
    "unscored": _l("chưa có điểm"),
    "below_min": _l("điểm %(score)s < %(min)s, mức tối thiểu để đạt giải"),
    "not_positive": _l("điểm %(score)s: cần điểm lớn hơn 0 để đạt giải"),
    "in_quota": _l("hạng %(rank)s, trong chỉ tiêu %(quota)s của giải %(level)s"),
    "tie_included": _l("nhóm %(size)s bằng điểm ở hạng %(rank)s được nhận cả vào giải %(level)s (chỉ tiêu %(quota)s)"),
    "tie_dropped": _l("nhóm %(size)s bằng điểm ở hạng %(rank)s vượt chỉ tiêu %(quota)s của giải %(higher)s; xuống giải %(level)s"),
    "below_level_min": _l("điểm %(score)s < %(min)s, mức tối thiểu của giải %(higher)s; nhận giải %(level)s"),
    "below_cutoff": _l("điểm %(score)s < %(cutoff)s, điểm chuẩn giải %(level)s"),
    "tie_excluded": _l("nhóm %(size)s bằng điểm ở hạng %(rank)s vượt chỉ tiêu %(quota)s của giải %(level)s"),
    "cap": _l("nhóm %(size)s bằng điểm ở hạng %(rank)s vượt mức trần %(cap)s giải"),
    "no_quota": _l("không có chỉ tiêu giải cho %(n)s thí sinh"),
    "adjusted": _l("điều chỉnh: %(reason)s"),
}

QUALIFIER_REASONS = {
    "no_rule": _l("bảng %(division)s không có quy tắc chọn"),
    "unranked": _l("chưa được xếp hạng"),
    "zero": _l("điểm 0 không được chọn"),
    "top": _l("hạng %(rank)s, trong top %(k)s của bảng %(division)s"),
    "top_tie_in": _l("nhóm %(size)s bằng điểm ở hạng %(rank)s được nhận cả vào top %(k)s"),
    "outside_top": _l("hạng %(rank)s ngoài top %(k)s của bảng %(division)s"),
    "top_tie_out": _l("nhóm %(size)s bằng điểm ở hạng %(rank)s vượt top %(k)s của bảng %(division)s"),
    "award": _l("giải %(award)s, từ giải %(level)s trở lên"),
    "award_below": _l("giải %(award)s thấp hơn giải %(level)s"),
    "score": _l("điểm %(score)s ≥ %(min)s"),
    "score_below": _l("điểm %(score)s < %(min)s, ngưỡng của bảng %(division)s"),
    "unit_cap": _l("đơn vị %(unit)s đã có đủ %(cap)s người"),
    "total": _l("đã đủ tổng số %(total)s người"),
    "adjusted": _l("điều chỉnh: %(reason)s"),
}

RULE_ERRORS = {
    "syntax": _l("không đọc được dạng JSON hay YAML (%(detail)s)"),
    "not_mapping": _l("phải là một bảng các trường (mapping)"),
    "unknown_field": _l("không phải trường đã biết (các trường: %(known)s)"),
    "required": _l("bắt buộc phải có"),
    "not_list": _l("phải là một danh sách"),
    "empty": _l("cần ít nhất một mức giải"),
    "bad_level_name": _l("phải là một trong %(allowed)s"),
    "duplicate_level": _l("mức '%(name)s' xuất hiện hai lần"),
    "count_or_fraction": _l("ghi đúng một trong hai: count (số lượng) hoặc fraction (tỉ lệ)"),
    "not_int": _l("phải là số nguyên ≥ 0"),
    "bad_fraction": _l("phải là số từ 0 đến 1"),
    "not_number": _l("phải là một số"),
    "bad_choice": _l("phải là một trong %(allowed)s"),
    "unknown_level": _l("'%(name)s' không phải mức giải của quy tắc"),
    "one_of_kinds": _l("ghi đúng một trong %(kinds)s"),
}


def _label_params(params: dict) -> dict:
    out = dict(params)
    for k in ("level", "higher", "award"):
        if out.get(k) in AWARD_LABELS:
            out[k] = str(AWARD_LABELS[out[k]])
    return out


def translate(registry: dict, code: str | None, params: dict | None, fallback: str = "") -> str:
    if code not in registry:
        return fallback
    try:
        return str(registry[code]) % _label_params(params or {})
    except (KeyError, TypeError, ValueError):
        return fallback


def rule_errors(exc) -> list[str]:
    """RuleError -> 'field: message' lines in the user's language."""
    return [f"{f}: {translate(RULE_ERRORS, c, p, c)}" for f, c, p in exc.errors]
