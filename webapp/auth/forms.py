"""Forms of the auth feature. Field rules beyond presence live in services.accounts."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms.fields.choices import SelectChoice
from wtforms import DateField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(_l("Hãy nhập tên đăng nhập."))])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Hãy nhập mật khẩu."))])
    submit = SubmitField(_l("Đăng nhập"))


class RegisterForm(FlaskForm):
    # presence and level/grade rules are checked by services.accounts.validate_student
    full_name = StringField(_l("Họ và tên"), validators=[Optional(), Length(max=200)])
    date_of_birth = DateField(_l("Ngày sinh"), validators=[Optional()])
    school_level = SelectField(_l("Cấp học"), validators=[Optional()])
    grade = SelectField(_l("Lớp"), choices=[SelectChoice("", "—")] + [SelectChoice(str(g), str(g)) for g in range(1, 13)],
                        validators=[Optional()])
    school_id = SelectField(_l("Trường"), validators=[Optional()])
    new_school = StringField(_l("…hoặc tên trường mới"), validators=[Optional(), Length(max=200)])
    unit = StringField(_l("Quận/huyện, đơn vị"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("Email (không bắt buộc)"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Số điện thoại (không bắt buộc)"), validators=[Optional(), Length(max=32)])
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(_l("Hãy chọn tên đăng nhập.")), Length(min=3, max=64)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Hãy đặt mật khẩu.")), Length(min=6, max=128, message=_l("Mật khẩu cần 6–128 ký tự."))])
    confirm = PasswordField(_l("Nhập lại mật khẩu"), validators=[EqualTo("password", _l("Hai mật khẩu không khớp."))])
    submit = SubmitField(_l("Đăng ký"))


class ImportForm(FlaskForm):
    file = FileField(_l("Tệp danh sách (.xlsx hoặc .csv)"), validators=[FileRequired(_l("Hãy chọn một tệp."))])
    submit = SubmitField(_l("Nhập danh sách"))
