"""Forms of creative entries and division settings. Times are typed in the contest's time zone."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

CATEGORY_LABELS = {
    "software": _l("Phần mềm"), "web": _l("Ứng dụng web"), "mobile": _l("Ứng dụng di động"),
    "game": _l("Trò chơi"), "scratch": _l("Dự án Scratch"), "other": _l("Khác"),
}
KIND_LABELS = {
    "description": _l("Bản thuyết minh (PDF)"), "product": _l("Sản phẩm, mã nguồn (.zip)"),
    "sb3": _l("Dự án Scratch (.sb3)"), "image": _l("Ảnh chụp màn hình (PNG, JPEG)"),
}
DT_FORMAT = "%Y-%m-%dT%H:%M"


class EntryForm(FlaskForm):
    title = StringField(_l("Tên sản phẩm"), validators=[DataRequired(_l("Hãy nhập tên sản phẩm.")), Length(max=200)])
    summary = TextAreaField(_l("Tóm tắt sản phẩm"), validators=[Length(max=5000)])
    category = SelectField(_l("Thể loại"), choices=[SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()])
    teammates = StringField(_l("Bạn cùng đội (tên đăng nhập)"), validators=[Length(max=500)])
    mentor_name = StringField(_l("Giáo viên hướng dẫn: họ và tên"), validators=[Length(max=200)])
    mentor_school = StringField(_l("Giáo viên hướng dẫn: trường / đơn vị"), validators=[Length(max=200)])
    mentor_phone = StringField(_l("Giáo viên hướng dẫn: điện thoại"), validators=[Length(max=32)])
    video_url = StringField(_l("Liên kết video giới thiệu"), validators=[Length(max=500)])
    repo_url = StringField(_l("Liên kết kho mã nguồn"), validators=[Length(max=500)])
    declared_not_awarded = BooleanField(_l("Chúng em cam kết sản phẩm chưa từng đoạt giải cấp quốc gia hay quốc tế."))
    submit = SubmitField(_l("Lưu bài dự thi"))

    def data_fields(self) -> dict:
        return {k: getattr(self, k).data for k in ("title", "summary", "category", "mentor_name", "mentor_school",
                                                   "mentor_phone", "video_url", "repo_url", "declared_not_awarded")}


class FileForm(FlaskForm):
    kind = SelectField(_l("Loại tệp"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    file = FileField(_l("Tệp"), validators=[FileRequired(_l("Hãy chọn tệp để tải lên."))])
    submit = SubmitField(_l("Tải lên"))


class ActionForm(FlaskForm):
    """A bare form: the CSRF token of a button."""


class SettingsForm(FlaskForm):
    """The entries side of a creative division; judging settings are on creative.org_judging."""
    max_team_size = IntegerField(_l("Số thành viên tối đa của một đội"), validators=[
        InputRequired(_l("Hãy nhập số thành viên.")), NumberRange(1, 5, _l("Từ 1 đến 5 thành viên."))])
    max_file_mb = IntegerField(_l("Dung lượng tối đa một tệp (MiB)"), validators=[
        InputRequired(_l("Hãy nhập dung lượng.")), NumberRange(1, 1024, _l("Từ 1 đến 1024 MiB."))])
    max_entry_mb = IntegerField(_l("Dung lượng tối đa cả bài dự thi (MiB)"), validators=[
        InputRequired(_l("Hãy nhập dung lượng.")), NumberRange(1, 4096, _l("Từ 1 đến 4096 MiB."))])
    deadline = DateTimeLocalField(_l("Hạn nộp sản phẩm (giờ Việt Nam; để trống = đến khi cuộc thi kết thúc)"),
                                  format=DT_FORMAT, validators=[Optional()])
    submit = SubmitField(_l("Lưu cài đặt"))
