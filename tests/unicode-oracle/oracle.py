# oracle.py: each hex-encoded input through pydantic 2 EmailStr's steps and email-validator (check_deliverability=False);
# prints OK<TAB>hex(normalised) or ERR<TAB>hex(reason).
import os, sys
sys.path.insert(0, os.environ.get('EMAIL_VALIDATOR_SRC', '.'))
import email_validator
from pydantic.networks import pretty_email_regex, MAX_EMAIL_LENGTH
def check(value):
    if len(value) > MAX_EMAIL_LENGTH:
        return 'ERR', f'Length must not exceed {MAX_EMAIL_LENGTH} characters'
    m = pretty_email_regex.fullmatch(value)
    if m:
        value = m.groups()[2]
    email = value.strip()
    try:
        parts = email_validator.validate_email(email, check_deliverability=False)
    except email_validator.EmailNotValidError as e:
        return 'ERR', str(e.args[0])
    return 'OK', parts.normalized
for line in sys.stdin:
    s = bytes.fromhex(line.strip()).decode('utf-8')
    k, v = check(s)
    print(k + '\t' + v.encode('utf-8').hex())
