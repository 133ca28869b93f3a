"""Forms of the contests feature. Times are typed in Asia/Ho_Chi_Minh; the routes convert to UTC."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

ROUND_LABELS = {"city": _l("Vòng thành phố"), "regional": _l("Vòng khu vực"), "national": _l("Vòng toàn quốc")}
ROUND_CHOICES = [SelectChoice(k, v) for k, v in ROUND_LABELS.items()]
SCORING_CHOICES = [SelectChoice("ioi", _l("IOI: cộng điểm từng bài")),
                   SelectChoice("icpc", _l("ICPC: số bài giải được, thời gian phạt"))]
CONTENT_CHOICES = [SelectChoice("programming", _l("Lập trình (chấm tự động)")),
                   SelectChoice("creative", _l("Sản phẩm sáng tạo"))]
DT_FORMAT = "%Y-%m-%dT%H:%M"


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ContestForm(FlaskForm):
    name = StringField(_l("Tên cuộc thi"), validators=[DataRequired(_l("Hãy nhập tên cuộc thi.")), Length(max=200)])
    year = IntegerField(_l("Năm"), validators=[InputRequired(_l("Hãy nhập năm.")), NumberRange(2000, 2100, _l("Năm từ 2000 đến 2100."))])
    round = SelectField(_l("Vòng thi"), choices=ROUND_CHOICES)
    start_at = DateTimeLocalField(_l("Bắt đầu (giờ Việt Nam)"), format=DT_FORMAT,
                                  validators=[InputRequired(_l("Hãy nhập thời gian bắt đầu."))])
    end_at = DateTimeLocalField(_l("Kết thúc (giờ Việt Nam)"), format=DT_FORMAT,
                                validators=[InputRequired(_l("Hãy nhập thời gian kết thúc."))])
    freeze_minutes = IntegerField(_l("Đóng băng bảng xếp hạng (phút cuối)"), default=0,
                                  validators=[InputRequired(_l("Hãy nhập số phút (0 nếu không đóng băng).")),
                                              NumberRange(0, 10000, _l("Số phút từ 0 đến 10000."))])
    scoring = SelectField(_l("Cách tính điểm"), choices=SCORING_CHOICES)
    submit = SubmitField(_l("Lưu cuộc thi"))

    def validate_end_at(self, field):
        if self.start_at.data and field.data and field.data <= self.start_at.data:
            raise ValidationError(_l("Thời gian kết thúc phải sau thời gian bắt đầu."))


class DivisionForm(FlaskForm):
    code = StringField(_l("Mã bảng"), validators=[DataRequired(_l("Hãy nhập mã bảng.")), Length(max=16),
                                                   Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Mã bảng chỉ gồm chữ không dấu, số, - và _."))])
    name = StringField(_l("Tên bảng"), validators=[DataRequired(_l("Hãy nhập tên bảng.")), Length(max=200)])
    levels = MultiCheckboxField(_l("Cấp học dự thi"), validators=[DataRequired(_l("Chọn ít nhất một cấp học."))])
    content = SelectField(_l("Nội dung thi"), choices=CONTENT_CHOICES)
    languages = MultiCheckboxField(_l("Ngôn ngữ lập trình được dùng"), validators=[Optional()])
    allow_higher = BooleanField(_l("Cho thí sinh cấp học thấp hơn thi bảng này"))
    self_register = BooleanField(_l("Thí sinh tự đăng ký vào bảng"))
    scratch_max_mib = StringField(_l("Dung lượng tối đa của dự án Scratch (MiB)"), validators=[Optional()])
    submit = SubmitField(_l("Lưu bảng"))


class UploadForm(FlaskForm):
    package = FileField(_l("Gói đề (.zip)"), validators=[FileRequired(_l("Hãy chọn tệp .zip của gói đề."))])
    submit = SubmitField(_l("Tải lên"))


class LimitsForm(FlaskForm):
    time_limit = StringField(_l("Giới hạn thời gian (giây)"), validators=[DataRequired()])
    memory_limit = IntegerField(_l("Giới hạn bộ nhớ (MiB)"), validators=[InputRequired(), NumberRange(16, 4096)])
    ordinal = IntegerField(_l("Thứ tự"), validators=[InputRequired(), NumberRange(0, 1000)])
    submit = SubmitField(_l("Lưu"))


class ParticipantsForm(FlaskForm):
    usernames = TextAreaField(_l("Tên đăng nhập của thí sinh (mỗi dòng một người)"),
                              validators=[DataRequired(_l("Hãy dán danh sách tên đăng nhập."))])
    submit = SubmitField(_l("Thêm vào bảng"))


class SubmitForm(FlaskForm):
    language = SelectField(_l("Ngôn ngữ"))
    file = FileField(_l("Tệp mã nguồn"))
    source = TextAreaField(_l("…hoặc dán mã nguồn vào đây"), validators=[Optional()])
    submit = SubmitField(_l("Nộp bài"))


class AnnouncementForm(FlaskForm):
    title = StringField(_l("Tiêu đề"), validators=[DataRequired(_l("Hãy nhập tiêu đề.")), Length(max=200)])
    body = TextAreaField(_l("Nội dung"), validators=[Optional(), Length(max=20000)])
    submit = SubmitField(_l("Đăng thông báo"))


class ClarificationForm(FlaskForm):
    problem_id = SelectField(_l("Về bài"), validators=[Optional()])
    question = TextAreaField(_l("Câu hỏi"), validators=[DataRequired(_l("Hãy nhập câu hỏi.")), Length(max=5000)])
    submit = SubmitField(_l("Gửi câu hỏi"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Trả lời"), validators=[DataRequired(_l("Hãy nhập câu trả lời.")), Length(max=5000)])
    public = BooleanField(_l("Công khai cho mọi thí sinh"))
    submit = SubmitField(_l("Gửi trả lời"))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token (and an optional reason)."""

    reason = StringField(_l("Lý do"), validators=[Optional(), Length(max=200)])
