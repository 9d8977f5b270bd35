/*
 * test-email.c: table-driven checks of email_normalize() against the behaviour of pydantic's EmailStr
 * (pydantic 2.13, email-validator 2.3.0, check_deliverability=False).  The expected texts are those the
 * Python libraries produce.
 *
 * Build: cc -std=c11 -Wall -Wextra -Werror -fsanitize=address,undefined \
 *            -o test-email tests/unit/test-email.c src/email.c
 * Prints TAP: one "ok N - label" or "not ok N - label" line per check; exits 1 if anything failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int email_normalize(const char *in, size_t len, char *out, size_t outsz, char *reason, size_t reasonsz);

struct tcase {
	const char	*in;
	size_t		 len;
	int		 ok;	/* 1: valid, want is the normalised address; 0: want is the reason */
	const char	*want;
};

#define OK(s, w)	{ s, sizeof(s) - 1, 1, w }
#define BAD(s, r)	{ s, sizeof(s) - 1, 0, r }

static const struct tcase cases[] = {
	/* Valid addresses and their normalised form. */
	OK("a@b.com", "a@b.com"),
	OK("A@B.COM", "A@b.com"),
	OK("Admin@Example.COM", "Admin@example.com"),
	OK("a.b@c.com", "a.b@c.com"),
	OK("user+mailbox/department=shipping@example.tld", "user+mailbox/department=shipping@example.tld"),
	OK("!#$%&'*+-/=?^_`.{|}~@example.tld", "!#$%&'*+-/=?^_`.{|}~@example.tld"),
	OK("info@x.com", "info@x.com"),
	OK("INFO@x.com", "info@x.com"),
	OK("Support@x.com", "support@x.com"),
	OK("POSTMASTER@Example.org", "postmaster@example.org"),
	OK("NOT-POSTMASTER@example.org", "NOT-POSTMASTER@example.org"),
	OK(" a@b.com ", "a@b.com"),
	OK("\ta@b.com\n", "a@b.com"),
	OK("a@b.com\n", "a@b.com"),
	OK("Name <a@b.com>", "a@b.com"),
	OK("Name<a@b.com>", "a@b.com"),
	OK("\"Na me\" <a@b.com>", "a@b.com"),
	OK("<a@b.com>", "a@b.com"),
	OK("< a@b.com >", "a@b.com"),
	OK(u8"N\u00e9 <a@b.com>", "a@b.com"),
	OK("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.com",	/* 65: fine in 2.3.0 */
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.com"),
	OK(u8"\u00fc@b\u00fccher.de", u8"\u00fc@b\u00fccher.de"),
	OK(u8"a@B\u00dcCHER.DE", u8"a@b\u00fccher.de"),
	OK(u8"jeff@\u81fa\u7db2\u4e2d\u5fc3.tw", u8"jeff@\u81fa\u7db2\u4e2d\u5fc3.tw"),
	OK(u8"\u4f0a\u662d\u5091@\u90f5\u4ef6.\u5546\u52d9", u8"\u4f0a\u662d\u5091@\u90f5\u4ef6.\u5546\u52d9"),
	OK("a@XN--nxasmq6b.com", u8"a@\u03b2\u03cc\u03bb\u03bf\u03c3.com"),
	OK("a@xn--nxasmq6b.com", u8"a@\u03b2\u03cc\u03bb\u03bf\u03c3.com"),
	OK(u8"a@x\u3002com", "a@x.com"),
	OK(u8"a@x\uff0ecom", "a@x.com"),
	OK(u8"a@\uff21.com", "a@a.com"),
	OK(u8"\uff21@b.com", u8"\uff21@b.com"),
	OK(u8"a\U0001F600@b.com", u8"a\U0001F600@b.com"),
	OK(u8"a@l\u00b7l.com", u8"a@l\u00b7l.com"),
	OK(u8"a@\u0375\u03b1.com", u8"a@\u0375\u03b1.com"),
	OK(u8"a@\u30fb\u30a2.com", u8"a@\u30fb\u30a2.com"),
	OK(u8"a@\u0645\u062b\u0627\u0644.\u0625\u062e\u062a\u0628\u0627\u0631",
	    u8"a@\u0645\u062b\u0627\u0644.\u0625\u062e\u062a\u0628\u0627\u0631"),

	/* Missing parts. */
	BAD("", "An email address must have an @-sign."),
	BAD(" ", "An email address must have an @-sign."),
	BAD("hello.world", "An email address must have an @-sign."),
	BAD(u8"a\uff20b.com", "The email address has the \"full-width\" at-sign (@) character instead of a regular at-sign."),
	BAD(u8"a\ufe6bb.com", "The email address has the \"small commercial at\" character instead of a regular at-sign."),
	BAD("@", "There must be something before the @-sign."),
	BAD("@b.com", "There must be something before the @-sign."),
	BAD("a@", "There must be something after the @-sign."),

	/* Local part. */
	BAD("a b@c.com", "The email address contains invalid characters before the @-sign: SPACE."),
	BAD("a\\b@c.com", "The email address contains invalid characters before the @-sign: \"\\\"."),
	BAD("bad\"quotes\"@example.com", "The email address contains invalid characters before the @-sign: '\"'."),
	BAD("a\0@b.com", "The email address contains invalid characters before the @-sign: U+0000."),
	BAD("m\ny@example.com", "The email address contains invalid characters before the @-sign: U+000A."),
	BAD("a,b;c@x.com", "The email address contains invalid characters before the @-sign: ',', ';'."),
	BAD(".a@c.com", "An email address cannot start with a period."),
	BAD("a.@c.com", "An email address cannot have a period immediately before the @-sign."),
	BAD("a..b@c.com", "An email address cannot have two periods in a row."),
	BAD("\"a\"@b.com", "Quoting the part before the @-sign is not allowed here."),
	BAD("\"a b\"@b.com", "Quoting the part before the @-sign is not allowed here."),
	BAD("\"a\"x@b.com", "Extra character(s) found after close quote: 'x'"),
	BAD("\"\"@b.com", "There must be something before the @-sign."),
	BAD("\"a@b.com", "An email address must have an @-sign."),
	BAD(u8"a\u00a0b@c.com", "The email address contains unsafe characters: NO-BREAK SPACE."),
	BAD(u8"\"a\u00a0b\"@c.com", "The email address contains unsafe characters: NO-BREAK SPACE."),
	BAD(u8"a\u2028@b.com", "The email address contains unsafe characters: LINE SEPARATOR."),
	BAD(u8"\u0301a@b.com", "The email address contains unsafe characters: COMBINING ACUTE ACCENT."),
	BAD(u8"<\u0338me@example.com", "The email address contains invalid characters before the @-sign: '<'."),

	/* Display names and angle brackets that pydantic does not take off. */
	BAD("a<b@c.com", "An open angle bracket at the start of the email address has to be followed by a close angle bracket at the end."),
	BAD("Na.me <a@b.com>", "The display name contains invalid characters when not quoted: '.'."),
	BAD("Name <a@b.com> x", "There can't be anything after the email address."),
	BAD("Name <a@b.com", "An open angle bracket at the start of the email address has to be followed by a close angle bracket at the end."),
	BAD("Name a@b.com>", "The email address contains invalid characters before the @-sign: SPACE."),
	BAD("Name <a@b.com>>", "The part after the @-sign contains invalid characters: '>'."),
	BAD("Name <<a@b.com>", "An open angle bracket at the start of the email address has to be followed by a close angle bracket at the end."),
	BAD("<<a@b.com>>", "A display name and angle brackets around the email address are not permitted here."),
	BAD("DisplayName <me@-example.com>", "An email address cannot have a hyphen immediately after the @-sign."),

	/* Domain syntax. */
	BAD("a@b", "The part after the @-sign is not valid. It should have a period."),
	BAD("a@localhost", "The part after the @-sign is not valid. It should have a period."),
	BAD("a@ b.com", "The part after the @-sign contains invalid characters: SPACE."),
	BAD("me@x!", "The part after the @-sign contains invalid characters: '!'."),
	BAD("a@b\0.com", "The part after the @-sign contains invalid characters: U+0000."),
	BAD("a@[", "The part after the @-sign contains invalid characters: '['."),
	BAD("a@.c.com", "An email address cannot have a period immediately after the @-sign."),
	BAD(u8"my@\uff0eleadingfwdot.com", "An email address cannot have a period immediately after the @-sign."),
	BAD(u8"a@\u3002.com", "An email address cannot have a period immediately after the @-sign."),
	BAD("a@c.com.", "An email address cannot end with a period."),
	BAD("a@c..com", "An email address cannot have two periods in a row."),
	BAD("a@-c.com", "An email address cannot have a hyphen immediately after the @-sign."),
	BAD("me@trailingdash-", "An email address cannot end with a hyphen."),
	BAD("a@c-.com", "An email address cannot have a period and a hyphen next to each other."),
	BAD("a@c.-com", "An email address cannot have a period and a hyphen next to each other."),
	BAD("a@ab--c.com", "An email address cannot have two letters followed by two dashes immediately after the @-sign or after a period, except Punycode."),
	BAD(u8"me@yy\uff0d\uff0d0.tld", "An email address cannot have two letters followed by two dashes immediately after the @-sign or after a period, except Punycode."),
	BAD("a@c.123", "The part after the @-sign is not valid. It is not within a valid top-level domain."),
	BAD("me@bad.tld-2", "The part after the @-sign is not valid. It is not within a valid top-level domain."),
	BAD("a@x.localhost", "The part after the @-sign is a special-use or reserved name that cannot be used with email."),
	BAD("a@x.test", "The part after the @-sign is a special-use or reserved name that cannot be used with email."),
	BAD("a@X.Invalid", "The part after the @-sign is a special-use or reserved name that cannot be used with email."),
	BAD("a@x.onion", "The part after the @-sign is a special-use or reserved name that cannot be used with email."),
	BAD("a@1.2.3.4.in-addr.arpa", "The part after the @-sign is a special-use or reserved name that cannot be used with email."),
	BAD("a@printer.local", "The part after the @-sign is a special-use or reserved name that cannot be used with email."),

	/* Unicode in the domain. */
	BAD(u8"a@x\u200cy.com", "The email address contains unsafe characters: ZERO WIDTH NON-JOINER."),
	BAD(u8"a@\u0301x.com", "The email address contains unsafe characters: COMBINING ACUTE ACCENT."),
	BAD(u8"a@b\u00ad.com", "The email address contains unsafe characters: SOFT HYPHEN."),
	BAD(u8"a@b\u200b.com", "The email address contains unsafe characters: ZERO WIDTH SPACE."),
	BAD(u8"a@b\ufeff.com", "The email address contains unsafe characters: ZERO WIDTH NO-BREAK SPACE."),
	BAD("a@b\xc2\x80" ".com", "The email address contains unsafe characters: U+0080."),
	BAD(u8"a@b\U000E0001.com", "The email address contains unsafe characters: LANGUAGE TAG."),
	BAD(u8"a@b\u2024.com", u8"The part after the @-sign contains invalid characters: '\u2024'."),
	BAD(u8"a@\u2488.com", u8"The part after the @-sign contains invalid characters: '\u2488'."),
	BAD(u8"me@\u037e.com", "The part after the @-sign contains invalid characters after Unicode normalization: ';'."),
	BAD(u8"me@\u1fef.com", "The part after the @-sign contains invalid characters after Unicode normalization: '`'."),
	BAD(u8"a@\u0661\u06f1.com", u8"The part after the @-sign is invalid (Codepoint U+0661 not allowed at position 1 in '\u0661\u06f1')."),
	BAD(u8"a@\u00b7l.com", u8"The part after the @-sign is invalid (Codepoint U+00B7 not allowed at position 1 in '\u00b7l')."),
	BAD(u8"a@\u30fb.com", u8"The part after the @-sign is invalid (Codepoint U+30FB not allowed at position 1 in '\u30fb')."),
	BAD(u8"a@b\U0001F600.com", u8"The part after the @-sign is invalid (Codepoint U+1F600 at position 2 of 'b\U0001F600' not allowed)."),
	BAD("a@xn--c.com", "The part after the @-sign is not valid IDNA (Invalid A-label)."),
	BAD("me@xn--0.tld", "The part after the @-sign is not valid IDNA (Invalid A-label)."),
	BAD("a@xn--zzzz.com", "The part after the @-sign is not valid IDNA (Invalid A-label)."),

	/* Domain literals. */
	BAD("a@[1.2.3.4]", "A bracketed IP address after the @-sign is not allowed here."),
	BAD("a@[IPv6:::1]", "A bracketed IP address after the @-sign is not allowed here."),
	BAD("a@[IPv6:::1%eth0]", "A bracketed IP address after the @-sign is not allowed here."),
	BAD("a@[IPv6:::1.2.3.4]", "A bracketed IP address after the @-sign is not allowed here."),
	BAD("a@[1.2.3]", "The address in brackets after the @-sign is not valid: It is not an IPv4 address (Expected 4 octets in '1.2.3') or is missing an address literal tag."),
	BAD("a@[1.2.3.256]", "The address in brackets after the @-sign is not valid: It is not an IPv4 address (Octet 256 (> 255) not permitted in '1.2.3.256') or is missing an address literal tag."),
	BAD("a@[01.2.3.4]", "The address in brackets after the @-sign is not valid: It is not an IPv4 address (Leading zeros are not permitted in '01' in '01.2.3.4') or is missing an address literal tag."),
	BAD("a@[1..3.4]", "The address in brackets after the @-sign is not valid: It is not an IPv4 address (Empty octet not permitted in '1..3.4') or is missing an address literal tag."),
	BAD("a@[1.2.3.4\n]", "The address in brackets after the @-sign is not valid: It is not an IPv4 address (Only decimal digits permitted in '4\\n' in '1.2.3.4\\n') or is missing an address literal tag."),
	BAD("a@[1234.2.3.4]", "The address in brackets after the @-sign is not valid: It is not an IPv4 address (At most 3 characters permitted in '1234' in '1234.2.3.4') or is missing an address literal tag."),
	BAD("a@[IPv6:1::2::3]", "The IPv6 address in brackets after the @-sign is not valid (At most one '::' permitted in '1::2::3')."),
	BAD("a@[IPv6:1:2:3:4:5:6:7:8:9]", "The IPv6 address in brackets after the @-sign is not valid (Exactly 8 parts expected without '::' in '1:2:3:4:5:6:7:8:9')."),
	BAD("a@[IPv6:1:2]", "The IPv6 address in brackets after the @-sign is not valid (At least 3 parts expected in '1:2')."),
	BAD("me@[IPv6:::G]", "The IPv6 address in brackets after the @-sign is not valid (Only hex digits permitted in 'G' in '::G')."),
	BAD("a@[IPv6:12345::1]", "The IPv6 address in brackets after the @-sign is not valid (At most 4 characters permitted in '12345' in '12345::1')."),
	BAD("a@[IPv6::1:2:3:4:5:6:7]", "The IPv6 address in brackets after the @-sign is not valid (Leading ':' only permitted as part of '::' in ':1:2:3:4:5:6:7')."),
	BAD("a@[IPv6:1:2:3:4:5:6:7:]", "The IPv6 address in brackets after the @-sign is not valid (Trailing ':' only permitted as part of '::' in '1:2:3:4:5:6:7:')."),
	BAD("a@[IPv6:::1.2.3]", "The IPv6 address in brackets after the @-sign is not valid (Expected 4 octets in '1.2.3' in '::1.2.3')."),
	BAD("a@[IPv6:::1/64]", "The IPv6 address in brackets after the @-sign is not valid (Unexpected '/' in '::1/64')."),
	BAD("a@[IPv6:::1%]", "The IPv6 address in brackets after the @-sign is not valid (Invalid IPv6 address: \"'::1%'\")."),
	BAD("a@[IPv6:11111111111111111111111111111111111111111111111111]", "The IPv6 address in brackets after the @-sign is not valid (At most 45 characters expected in '11111111111111111111111111111111111111111111111111')."),
	BAD("a@[x:y]", "The part after the @-sign contains an invalid address literal tag in brackets."),
	BAD("a@[x y:z]", "The part after the @-sign contains invalid characters in brackets: SPACE."),
	BAD(u8"a@[\u00ff:z]", u8"The part after the @-sign contains invalid characters in brackets: '\u00ff'."),
	BAD("a@[abc]", "The part after the @-sign in brackets is not an IPv4 address and has no address literal tag."),
	BAD("a@[]", "The part after the @-sign in brackets is not an IPv4 address and has no address literal tag."),

	/* Lengths (from email-validator's own test suite). */
	BAD("me@1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "11111111112222222222333333333344444444445555555555.com",
	    "The email address is too long after the @-sign (1 character too many)."),
	BAD(u8"me@\u4e2d1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "1111111111222222222233333333334444444444.com",
	    "The email address is too long after the @-sign (1 byte too many after IDNA encoding)."),
	BAD(u8"me@\u4e2d111111111222222222233333333334444444444555555555666666.com",
	    "The part after the @-sign is invalid (Label too long)."),
	BAD("me@1111111111222222222233333333334444444444555555555666666666677777.com",
	    "After the @-sign, periods cannot be separated by so many characters (1 character too many)."),
	BAD("me@11111111112222222222333333333344444444445555555556666666666777777.com",
	    "After the @-sign, periods cannot be separated by so many characters (2 characters too many)."),
	BAD("meme@1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "1111111111222222222233333333334444444444555555555.com",
	    "The email address is too long (4 characters too many)."),
	BAD(u8"my.long.address@\u03bb111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "1111111111222222222233333333334444.info",
	    "The email address is too long (1-2 characters too many)."),
	BAD(u8"my.\u03bbong.address@1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "111111111122222222223333333333444.info",
	    "The email address is too long (1 character too many)."),
	BAD(u8"my.long.address@\u03bb111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "11111111112222222222333333.info",
	    "The email address is too long when the part after the @-sign is converted to IDNA ASCII (1 byte too many)."),
	BAD(u8"my.\u03bbong.address@\u03bb111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000."
	    "11111111112222222222333333.info",
	    "The email address is too long when the part after the @-sign is converted to IDNA ASCII (2 bytes too many)."),

	/*
	 * From email-validator 2.3.0's own test suite (github.com/JoshData/python-email-validator, tag v2.3.0,
	 * tests/test_syntax.py: test_email_valid_intl_local_part, test_email_invalid_syntax, test_email_unsafe_character;
	 * the unsafe-character cases put before "@example.com" or after "test@" with ".com", since test_environment is
	 * off here, and white space inside the local part, since pydantic strips it at the ends).
	 */
	OK(u8"\"s\u0323\u0307\" <s\u0323\u0307@nfc.tld>",
	    u8"\u1e69@nfc.tld"),
	OK(u8"\u00f1o\u00f1\u00f3@example.tld",
	    u8"\u00f1o\u00f1\u00f3@example.tld"),
	OK(u8"\u03b9\u03c9\u03ac\u03bd\u03bd\u03b7\u03c2@\u03b5\u03b5\u03c4\u03c4.gr",
	    u8"\u03b9\u03c9\u03ac\u03bd\u03bd\u03b7\u03c2@\u03b5\u03b5\u03c4\u03c4.gr"),
	OK(u8"\u0930\u093e\u092e@\u092e\u094b\u0939\u0928.\u0908\u0928\u094d\u092b\u094b",
	    u8"\u0930\u093e\u092e@\u092e\u094b\u0939\u0928.\u0908\u0928\u094d\u092b\u094b"),
	OK(u8"\u044e\u0437\u0435\u0440@\u0435\u043a\u0437\u0430\u043c\u043f\u043b.\u043a\u043e\u043c",
	    u8"\u044e\u0437\u0435\u0440@\u0435\u043a\u0437\u0430\u043c\u043f\u043b.\u043a\u043e\u043c"),
	OK(u8"\u03b8\u03c3\u03b5\u03c1@\u03b5\u03c7\u03b1\u03bc\u03c0\u03bb\u03b5.\u03c8\u03bf\u03bc",
	    u8"\u03b8\u03c3\u03b5\u03c1@\u03b5\u03c7\u03b1\u03bc\u03c0\u03bb\u03b5.\u03c8\u03bf\u03bc"),
	OK(u8"\u8449\u58eb\u8c6a@\u81fa\u7db2\u4e2d\u5fc3.\u53f0\u7063",
	    u8"\u8449\u58eb\u8c6a@\u81fa\u7db2\u4e2d\u5fc3.\u53f0\u7063"),
	OK(u8"jeff\u8449@\u81fa\u7db2\u4e2d\u5fc3.tw",
	    u8"jeff\u8449@\u81fa\u7db2\u4e2d\u5fc3.tw"),
	OK(u8"\u6211\u8cb7@example.tld",
	    u8"\u6211\u8cb7@example.tld"),
	OK(u8"\u7532\u6590\u9ed2\u5ddd\u65e5\u672c@example.tld",
	    u8"\u7532\u6590\u9ed2\u5ddd\u65e5\u672c@example.tld"),
	OK(u8"\u0447\u0435\u0431\u0443\u0440\u0430\u0448\u043a\u0430\u044f\u0449\u0438\u043a-\u0441-\u0430\u043f\u0435\u043b\u044c\u0441\u0438\u043d\u0430\u043c\u0438.\u0440\u0444@example.tld",
	    u8"\u0447\u0435\u0431\u0443\u0440\u0430\u0448\u043a\u0430\u044f\u0449\u0438\u043a-\u0441-\u0430\u043f\u0435\u043b\u044c\u0441\u0438\u043d\u0430\u043c\u0438.\u0440\u0444@example.tld"),
	OK(u8"\u0909\u0926\u093e\u0939\u0930\u0923.\u092a\u0930\u0940\u0915\u094d\u0937@domain.with.idn.tld",
	    u8"\u0909\u0926\u093e\u0939\u0930\u0923.\u092a\u0930\u0940\u0915\u094d\u0937@domain.with.idn.tld"),
	OK(u8"\uff20@fullwidth.at",
	    u8"\uff20@fullwidth.at"),
	BAD(u8"me.\u037e@example.com",
	    u8"After Unicode normalization: The email address contains invalid characters before the @-sign: ';'."),
	BAD(u8"me@\u2488wouldbeinvalid.com",
	    u8"The part after the @-sign contains invalid characters: '\u2488'."),
	BAD(u8"my.s\u0323\u0307.address@1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.1111111111222222222233333333334444.info",
	    u8"The email address is too long (1-2 characters too many)."),
	BAD(u8"my.\ufb2c.address@1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.11111111112222222222333333333344444.info",
	    u8"The email address is too long (1 character too many)."),
	BAD(u8"my.\ufb2c.address@1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.11111111112222222222333333333344.info",
	    u8"The email address is too long after normalization (1 byte too many)."),
	BAD(u8"my.long.address@\ufb2c111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.1111111111222222222233333333334444.info",
	    u8"The email address is too long (1-3 characters too many)."),
	BAD(u8"me@\ufb2c1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.1111111111222222222233333333334444444444.com",
	    u8"The email address is too long after the @-sign (5 bytes too many after IDNA encoding)."),
	BAD(u8"a\u2005b@example.com",
	    u8"The email address contains unsafe characters: FOUR-PER-EM SPACE."),
	BAD(u8"a\u2028b@example.com",
	    u8"The email address contains unsafe characters: LINE SEPARATOR."),
	BAD(u8"a\u2029b@example.com",
	    u8"The email address contains unsafe characters: PARAGRAPH SEPARATOR."),
	BAD(u8"\u0300@example.com",
	    u8"The email address contains unsafe characters: COMBINING GRAVE ACCENT."),
	BAD("\xc2\x9c" "@example.com",
	    u8"The email address contains unsafe characters: U+009C."),
	BAD(u8"\u200b@example.com",
	    u8"The email address contains unsafe characters: ZERO WIDTH SPACE."),
	BAD(u8"\u202dforward-\u202ereversed@example.com",
	    u8"The email address contains unsafe characters: LEFT-TO-RIGHT OVERRIDE, RIGHT-TO-LEFT OVERRIDE."),
	BAD(u8"\ue000@example.com",
	    u8"The email address contains unsafe characters: U+E000."),
	BAD(u8"\U0010fdef@example.com",
	    u8"The email address contains unsafe characters: U+0010FDEF."),
	BAD(u8"\ufdef@example.com",
	    u8"The email address contains unsafe characters: U+FDEF."),
	BAD(u8"test@\u2005.com",
	    u8"The email address contains unsafe characters: FOUR-PER-EM SPACE."),
	BAD(u8"test@\u202dforward-\u202ereversed.com",
	    u8"The email address contains unsafe characters: LEFT-TO-RIGHT OVERRIDE, RIGHT-TO-LEFT OVERRIDE."),
	BAD(u8"test@\u0300x.com",
	    u8"The email address contains unsafe characters: COMBINING GRAVE ACCENT."),

	/* Ours, in the same spirit: composition and UTS-46 mapping by library (issue 14). */
	OK(u8"ju\u0308rgen@example.com", u8"j\u00fcrgen@example.com"),
	OK(u8"J\u00fcrgen@example.com", u8"J\u00fcrgen@example.com"),
	OK(u8"e\u0301x@example.com", u8"\u00e9x@example.com"),
	OK(u8"a@bu\u0308cher.de", u8"a@b\u00fccher.de"),
	OK(u8"a@B\u00dcCHER.de", u8"a@b\u00fccher.de"),
	OK(u8"a@\u212b.com", u8"a@\u00e5.com"),
	OK(u8"a@\ufb01le.com", u8"a@file.com"),
	OK(u8"a@fa\u00df.de", u8"a@fa\u00df.de"),
	OK(u8"a@x\uff61com", u8"a@x.com"),
	OK(u8"\u212b@example.com", u8"\u00c5@example.com"),
	OK(u8"a@\u2126.gr", u8"a@\u03c9.gr"),
	OK(u8"a@xn--bcher-kva.de\u0308", u8"a@b\u00fccher.d\u00eb"),	/* NFC after mapping */
	BAD(u8"a@x\u2ff0.com",
	    u8"The part after the @-sign contains invalid characters (Codepoint U+2FF0 not allowed at position 2 in 'x\u2ff0.com')."),
	BAD(u8"a@x\u0640y.com",
	    u8"The part after the @-sign is invalid (Codepoint U+0640 at position 2 of 'x\u0640y' not allowed)."),
	OK(u8"a@\u1100\u1161.com", u8"a@\uac00.com"),		/* jamo compose to a syllable */
	/* The Bidi rule (RFC 5893) with the idna package's texts; the expected results were checked against
	   email-validator 2.3.0 with idna 3.13 (see tests/unicode-oracle/). */
	OK(u8"a@\u05d0\u05d1.com", u8"a@\u05d0\u05d1.com"),
	OK("a@xn--4dbc.com", u8"a@\u05d0\u05d1.com"),
	BAD(u8"a@\u05d0a.com", "The part after the @-sign is invalid (Invalid direction for codepoint at position 2 in a right-to-left label)."),
	BAD(u8"a@a\u05d0.com", "The part after the @-sign is invalid (Invalid direction for codepoint at position 2 in a left-to-right label)."),
	BAD(u8"a@\u06612.com", u8"The part after the @-sign is invalid (First codepoint in label '\u06612' must be directionality L, R or AL)."),
	BAD(u8"user@\u0627-\u094d.de", "The part after the @-sign is invalid (Label ends with illegal codepoint directionality)."),
	BAD(u8"a@\u05d0\u06611.com", "The part after the @-sign is invalid (Can not mix numeral types in a right-to-left label)."),
	/* UTS-46 maps U+1E9E to U+00DF, where NFKC_Casefold gives "ss". */
	OK(u8"a@\u1e9e.de", u8"a@\u00df.de"),
	OK(u8"user@Aa\u1e9e.com", u8"user@aa\u00df.com"),
	/* Unicode 12 (Wancho): unassigned for Debian 12's libidn2 tables, valid for the reference. */
	OK(u8"a@\U0001e296.com", u8"a@\U0001e296.com"),
	BAD(u8"a@\u1100x.com",
	    u8"The part after the @-sign is invalid (Codepoint U+1100 at position 1 of '\u1100x' not allowed)."),
};

static int passed, failed;

/* One TAP line; a failure's details follow as "#" lines printed by the caller. */
static void
tap(int ok, const char *label)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", passed + failed, label);
}

static void
put_escaped(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static void
check(const char *label, const char *in, size_t len, int ok, const char *want)
{
	char out[1024], reason[1024];
	int rc;

	memset(out, 'X', sizeof(out));
	memset(reason, 'X', sizeof(reason));
	rc = email_normalize(in, len, out, sizeof(out), reason, sizeof(reason));
	if ((ok && rc == 0 && strcmp(out, want) == 0) || (!ok && rc == -1 && strcmp(reason, want) == 0)) {
		tap(1, label);
		return;
	}
	tap(0, label);
	printf("# input \"");
	put_escaped(in, len < 200 ? len : 200);
	printf("\": got rc=%d %s\"%s\", want %s\"%s\"\n", rc, rc == 0 ? "address " : "reason ",
	    rc == 0 ? out : reason, ok ? "address " : "reason ", want);
}

/* Repeats s n times into buf (NUL-terminated); returns the length. */
static size_t
repeat(char *buf, size_t bufsz, size_t at, const char *s, size_t n)
{
	size_t sl = strlen(s), i;

	for (i = 0; i < n && at + sl < bufsz; i++) {
		memcpy(buf + at, s, sl);
		at += sl;
	}
	buf[at] = '\0';
	return at;
}

static void
generated_cases(void)
{
	char in[8192], want[1024];
	size_t n;

	/* 2048 characters are allowed through to email-validator, 2049 are not. */
	n = repeat(in, sizeof(in), 0, "a", 2049);
	check("2049 characters", in, n, 0, "Length must not exceed 2048 characters");
	n = repeat(in, sizeof(in), 0, u8"\u00fc", 2049);
	check("2049 two-byte characters", in, n, 0, "Length must not exceed 2048 characters");
	n = repeat(in, sizeof(in), 0, "a", 2048);
	check("2048 characters", in, n, 0, "An email address must have an @-sign.");

	/* A 63-character label is fine, 64 is one too many. */
	n = repeat(in, sizeof(in), 0, "a@", 1);
	n = repeat(in, sizeof(in), n, "b", 63);
	n = repeat(in, sizeof(in), n, ".com", 1);
	check("63-character label", in, n, 1, in);
	n = repeat(in, sizeof(in), 0, "a@", 1);
	n = repeat(in, sizeof(in), n, "b", 64);
	n = repeat(in, sizeof(in), n, ".com", 1);
	check("64-character label", in, n, 0,
	    "After the @-sign, periods cannot be separated by so many characters (1 character too many).");

	/* Domain of 255 and 257 octets. */
	n = repeat(in, sizeof(in), 0, "a@", 1);
	n = repeat(in, sizeof(in), n, "b.", 126);
	n = repeat(in, sizeof(in), n, "com", 1);
	check("255-octet domain", in, n, 0, "The email address is too long after the @-sign (2 characters too many).");
	n = repeat(in, sizeof(in), 0, "a@", 1);
	n = repeat(in, sizeof(in), n, "b.", 127);
	n = repeat(in, sizeof(in), n, "com", 1);
	check("257-octet domain", in, n, 0, "The email address is too long after the @-sign (4 characters too many).");
	n = repeat(in, sizeof(in), 0, "a@", 1);
	n = repeat(in, sizeof(in), n, "B.", 126);
	n = repeat(in, sizeof(in), n, "com", 1);
	check("255-octet upper-case domain", in, n, 0,
	    "The email address is too long after the @-sign (2 bytes too many after IDNA encoding).");

	/* A 254-octet address is the longest allowed. */
	n = repeat(in, sizeof(in), 0, "a", 64);
	n = repeat(in, sizeof(in), n, "@", 1);
	n = repeat(in, sizeof(in), n, "b", 63);
	n = repeat(in, sizeof(in), n, ".", 1);
	n = repeat(in, sizeof(in), n, "c", 63);
	n = repeat(in, sizeof(in), n, ".", 1);
	n = repeat(in, sizeof(in), n, "d", 57);
	n = repeat(in, sizeof(in), n, ".com", 1);
	check("254-octet address", in, n, 1, in);
	n = repeat(in, sizeof(in), 0, "a", 65);
	n = repeat(in, sizeof(in), n, "@", 1);
	n = repeat(in, sizeof(in), n, "b", 63);
	n = repeat(in, sizeof(in), n, ".", 1);
	n = repeat(in, sizeof(in), n, "c", 63);
	n = repeat(in, sizeof(in), n, ".", 1);
	n = repeat(in, sizeof(in), n, "d", 57);
	n = repeat(in, sizeof(in), n, ".com", 1);
	check("255-octet address", in, n, 0, "The email address is too long (1 character too many).");

	/* Non-ASCII local part over the limit: a range of characters. */
	n = repeat(in, sizeof(in), 0, u8"\u00fc", 130);
	n = repeat(in, sizeof(in), n, "@b.com", 1);
	check("130 two-byte characters", in, n, 0, "The email address is too long (6-12 characters too many).");
	n = repeat(in, sizeof(in), 0, u8"\U0001D4B6", 70);
	n = repeat(in, sizeof(in), n, "@b.com", 1);
	check("70 four-byte characters", in, n, 0, "The email address is too long (8-32 characters too many).");

	/* 63 non-ASCII characters make a label too long once Punycode-encoded. */
	n = repeat(in, sizeof(in), 0, "a@", 1);
	n = repeat(in, sizeof(in), n, u8"\u00fc", 63);
	n = repeat(in, sizeof(in), n, ".com", 1);
	check("63 u-umlauts in a label", in, n, 0, "The part after the @-sign is invalid (Label too long).");
	n = repeat(in, sizeof(in), 0, "a@", 1);
	n = repeat(in, sizeof(in), n, u8"\u00fc", 31);
	n = repeat(in, sizeof(in), n, ".", 1);
	n = repeat(in, sizeof(in), n, u8"\u00fc", 31);
	n = repeat(in, sizeof(in), n, ".com", 1);
	check("two labels of 31 u-umlauts", in, n, 1, in);

	/* Long IPv6 literal: the middle is elided. */
	n = repeat(in, sizeof(in), 0, "a@[IPv6:", 1);
	n = repeat(in, sizeof(in), n, "1", 120);
	n = repeat(in, sizeof(in), n, "]", 1);
	snprintf(want, sizeof(want), "The IPv6 address in brackets after the @-sign is not valid (At most 45 characters "
	    "expected in '%s(30 chars elided)%s').", "111111111111111111111111111111111111111111111",
	    "111111111111111111111111111111111111111111111");
	check("120-character IPv6 literal", in, n, 0, want);
}

/* Output and reason buffers are bounded and always NUL-terminated. */
static void
buffer_cases(void)
{
	char small[8], reason[16];
	int rc;

	memset(small, 'X', sizeof(small));
	rc = email_normalize("someone@example.com", 19, small, sizeof(small), reason, sizeof(reason));
	tap(rc == -1 && memchr(small, '\0', sizeof(small)) != NULL && memchr(reason, '\0', sizeof(reason)) != NULL, "small output buffer");
	if (!(rc == -1 && memchr(small, '\0', sizeof(small)) != NULL && memchr(reason, '\0', sizeof(reason)) != NULL)) {
		printf("# rc=%d\n", rc);
	}

	memset(reason, 'X', sizeof(reason));
	rc = email_normalize("no-at-sign", 10, small, sizeof(small), reason, sizeof(reason));
	tap(rc == -1 && strcmp(reason, "An email addres") == 0, "small reason buffer");
	if (!(rc == -1 && strcmp(reason, "An email addres") == 0)) {
		printf("# rc=%d reason=\"%.16s\"\n", rc, reason);
	}

	rc = email_normalize("x", 1, NULL, 0, NULL, 0);
	tap(rc == -1, "NULL buffers");
	if (!(rc == -1)) {
		printf("# rc=%d\n", rc);
	}
}

/* Pseudo-random inputs over an alphabet of awkward characters: no crash, bounded output. */
static void
fuzz_cases(void)
{
	static const char *const alphabet[] = {
		"a", "Z", "0", "-", ".", "@", "<", ">", "\"", "\\", " ", "\n", "[", "]", ":", "%", "/",
		"x", "n", "xn--", "IPv6:", u8"\u00fc", u8"\u00b7", u8"\u0301", u8"\u0338", u8"\u200c",
		u8"\u3002", u8"\uff20", u8"\uff0e", u8"\u2488", u8"\u0661", u8"\u06f1", u8"\u30fb",
		u8"\U0001F600", u8"\u05d0", u8"\u0375", "\0", u8"\u00a0", u8"\ufe6b", "com",
	};
	unsigned long long seed = 12345;
	char in[600], out[1024], reason[1024];
	int iter, bad = 0;

	for (iter = 0; iter < 30000; iter++) {
		size_t n = 0, parts, i;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		parts = (seed >> 33) % 40;
		for (i = 0; i < parts; i++) {
			const char *p;
			size_t pl;

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			p = alphabet[(seed >> 33) % (sizeof(alphabet) / sizeof(alphabet[0]))];
			pl = (p[0] == '\0') ? 1 : strlen(p);
			if (n + pl >= sizeof(in))
				break;
			memcpy(in + n, p, pl);
			n += pl;
		}
		memset(out, 'X', sizeof(out));
		memset(reason, 'X', sizeof(reason));
		if (email_normalize(in, n, out, sizeof(out), reason, sizeof(reason)) == 0) {
			if (memchr(out, '\0', sizeof(out)) == NULL || strchr(out, '@') == NULL)
				bad++;
		} else if (memchr(reason, '\0', sizeof(reason)) == NULL || reason[0] == '\0')
			bad++;
	}
	tap(bad == 0, "fuzz");
	if (!(bad == 0)) {
		printf("# %d bad results\n", bad);
	}
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char label[32];

		snprintf(label, sizeof(label), "case %zu", i + 1);
		check(label, cases[i].in, cases[i].len, cases[i].ok, cases[i].want);
	}
	generated_cases();
	buffer_cases();
	fuzz_cases();
	printf("1..%d\n", passed + failed);
	return failed == 0 ? 0 : 1;
}
