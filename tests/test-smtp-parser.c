/* test-smtp-parser.c: the smtp plugin's pure parsers, table-driven.
 * SPDX-License-Identifier: MIT
 */
#include "smtp-parser.h"
#include "smtp-stream.h"

#include <string.h>

/* A case's input, printable for the log (valid until the next call). */
static const char *
shown(const char *text)
{
	static char *last;

	g_free(last);
	last = g_strescape(text, NULL);
	return last;
}

/* ---- command lines */

typedef struct {
	const char *line;
	const char *verb; /* NULL: refused */
	const char *args;
} SplitCase;

static const SplitCase split_cases[] = {
	{ "MAIL FROM:<a@b>", "MAIL", "FROM:<a@b>" },
	{ "mail from:<>", "MAIL", "from:<>" },
	{ "NOOP", "NOOP", "" },
	{ "QUIT   ", "QUIT", "" },
	{ "ehlo  client.example", "EHLO", "client.example" },
	{ "StartTLS", "STARTTLS", "" },
	{ "", NULL, NULL },
	{ " NOOP", NULL, NULL },
	{ "NO-OP", NULL, NULL },
	{ "NOOP\tx", NULL, NULL },
	{ "N00P", NULL, NULL },
	{ "MAIL:FROM", NULL, NULL },
};

static void
test_split(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(split_cases); i++) {
		const SplitCase *c = &split_cases[i];
		g_autofree char *verb = NULL;
		const char *args = NULL;
		gboolean ok = smtp_split_command(c->line, &verb, &args);

		g_test_message("line %u: \"%s\"", i, shown(c->line));
		g_assert_cmpint(ok, ==, c->verb != NULL);
		if (!ok)
			continue;
		g_assert_cmpstr(verb, ==, c->verb);
		g_assert_cmpstr(args, ==, c->args);
	}
}

/* ---- MAIL FROM */

typedef struct {
	const char *args;
	SmtpStatus status;
	const char *address; /* when OK */
	guint64 size;
	SmtpBody body;
	SmtpRet ret;
	const char *envid;
	gboolean smtputf8;
} MailCase;

#define LONG_LOCAL                                                             \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LABEL63                                                                \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ENVID101                                                               \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"   \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static const MailCase mail_good[] = {
	{ .args = "FROM:<alice@example.test>", SMTP_OK, "alice@example.test" },
	{ .args = "from:<>", SMTP_OK, "" },
	{ .args = "FROM: <a@b.example>", SMTP_OK, "a@b.example" },
	{ .args = "FROM:<\"john smith\"@example.test>",
	  SMTP_OK,
	  "\"john smith\"@example.test" },
	{ .args = "FROM:<\"abc\"@example.test>", SMTP_OK, "abc@example.test" },
	{ .args = "FROM:<\"a\\\"b\"@example.test>",
	  SMTP_OK,
	  "\"a\\\"b\"@example.test" },
	{ .args = "FROM:<a@[192.0.2.1]>", SMTP_OK, "a@[192.0.2.1]" },
	{ .args = "FROM:<a@[IPv6:2001:db8::1]>",
	  SMTP_OK,
	  "a@[IPv6:2001:db8::1]" },
	{ .args = "FROM:<a@[x-tag:some-thing]>",
	  SMTP_OK,
	  "a@[x-tag:some-thing]" },
	{ .args = "FROM:<@a.example,@b.example:user@c.example>",
	  SMTP_OK,
	  "user@c.example" },
	{ .args = "FROM:<a+tag=x/y@b.example>",
	  SMTP_OK,
	  "a+tag=x/y@b.example" },
	{ .args = "FROM:<a@b.example> SIZE=1000",
	  SMTP_OK,
	  "a@b.example",
	  1000 },
	{ .args = "FROM:<a@b.example> SIZE=99999999999999999999",
	  SMTP_OK,
	  "a@b.example",
	  G_MAXUINT64 },
	{ .args = "FROM:<a@b.example> BODY=8BITMIME",
	  SMTP_OK,
	  "a@b.example",
	  0,
	  SMTP_BODY_8BITMIME },
	{ .args = "FROM:<a@b.example> body=7bit",
	  SMTP_OK,
	  "a@b.example",
	  0,
	  SMTP_BODY_7BIT },
	{ .args = "FROM:<a@b.example> RET=HDRS ENVID=QQ314159",
	  SMTP_OK,
	  "a@b.example",
	  0,
	  0,
	  SMTP_RET_HDRS,
	  "QQ314159" },
	{ .args = "FROM:<a@b.example> ret=full envid=a+2Bb+3Dc",
	  SMTP_OK,
	  "a@b.example",
	  0,
	  0,
	  SMTP_RET_FULL,
	  "a+b=c" },
	{ .args = "FROM:<a@b.example>  SIZE=5  ", SMTP_OK, "a@b.example", 5 },
	{ .args = "FROM:<a@b.example> SMTPUTF8",
	  SMTP_OK,
	  "a@b.example",
	  0,
	  0,
	  0,
	  NULL,
	  TRUE },
	{ .args = "FROM:<\xce\xb4@\xce\xb4.example> SMTPUTF8",
	  SMTP_OK,
	  "\xce\xb4@\xce\xb4.example",
	  0,
	  0,
	  0,
	  NULL,
	  TRUE },
	{ .args = "FROM:<" LONG_LOCAL "@b.example>",
	  SMTP_OK,
	  LONG_LOCAL "@b.example" },
	{ .args = "FROM:<a@" LABEL63 ".example>",
	  SMTP_OK,
	  "a@" LABEL63 ".example" },
};

static const MailCase mail_bad[] = {
	{ .args = "FROM:a@b.example", SMTP_ERR_SYNTAX },
	{ .args = "TO:<a@b.example>", SMTP_ERR_SYNTAX },
	{ .args = "FROM", SMTP_ERR_SYNTAX },
	{ .args = "", SMTP_ERR_SYNTAX },
	{ .args = "FROM:<a@b.example", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a>", SMTP_ERR_SENDER },
	{ .args = "FROM:<@b.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a..b@c.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<.a@c.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a.@c.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a b@c.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a(b)@c.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@-b.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@b-.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@b..example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@b.example.>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@b_c.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@[300.1.1.1]>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@[1.2.3]>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@[1.2.3.4.5]>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@[IPv6:zz]>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@[IPv6:1.2.3.4]>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@[tag:]>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a@[1.2.3.4>", SMTP_ERR_SENDER },
	{ .args = "FROM:<Postmaster>", SMTP_ERR_SENDER },
	{ .args = "FROM:<\"unterminated@b.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<\"a\x01\"@b.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<\xff@b.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<@a.example:>", SMTP_ERR_SENDER },
	{ .args = "FROM:<@a.example,b.example:c@d.example>", SMTP_ERR_SENDER },
	{ .args = "FROM:<a" LONG_LOCAL "@b.example>", SMTP_ERR_TOO_LONG },
	{ .args = "FROM:<a@b" LABEL63 ".example>", SMTP_ERR_SENDER },
	{ .args
	  = "FROM:<" LONG_LOCAL "@" LABEL63 "." LABEL63 "." LABEL63 ".example>",
	  SMTP_ERR_TOO_LONG },
	{ .args = "FROM:<a@" LABEL63 "." LABEL63 "." LABEL63 "." LABEL63 ".ex>",
	  SMTP_ERR_TOO_LONG },
	{ .args = "FROM:<a@b.example>SIZE=1", SMTP_ERR_SYNTAX },
	{ .args = "FROM:<a@b.example> SIZE=abc", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> SIZE=", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> SIZE", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> SIZE=-1", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> SIZE=123456789012345678901",
	  SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> SIZE=1 size=2", SMTP_ERR_PARAM_DUP },
	{ .args = "FROM:<a@b.example> BODY=BINARYMIME", SMTP_ERR_BINARY },
	{ .args = "FROM:<a@b.example> BODY=9BIT", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> SMTPUTF8=yes", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> RET=ALL", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> ENVID=a+2", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> ENVID=a+0Ab", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> ENVID=" ENVID101, SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> ENVID=a=b", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> AUTH", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> AUTH=a+2", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> AUTH=<> AUTH=<>", SMTP_ERR_PARAM_DUP },
	{ .args = "FROM:<a@b.example> X-FOO=bar", SMTP_ERR_PARAM_UNKNOWN },
	{ .args = "FROM:<a@b.example> NOTIFY=NEVER", SMTP_ERR_PARAM_UNKNOWN },
	{ .args = "FROM:<a@b.example> -X=1", SMTP_ERR_PARAM_VALUE },
	{ .args = "FROM:<a@b.example> SIZE=1\x80", SMTP_ERR_PARAM_VALUE },
};

static void
check_mail_case(const MailCase *c)
{
	SmtpMailArgs mail;
	SmtpStatus status = smtp_parse_mail(c->args, &mail);

	g_test_message("MAIL %s", shown(c->args));
	g_assert_cmpint(status, ==, c->status);
	if (status != SMTP_OK) {
		g_assert_null(mail.path.address);
		return;
	}
	g_assert_cmpstr(mail.path.address, ==, c->address);
	g_assert_cmpuint(mail.size, ==, c->size);
	g_assert_cmpint(mail.has_size, ==, c->size != 0);
	g_assert_cmpint(mail.body, ==, c->body);
	g_assert_cmpint(mail.ret, ==, c->ret);
	g_assert_cmpstr(mail.envid, ==, c->envid);
	g_assert_cmpint(mail.smtputf8, ==, c->smtputf8);
	smtp_mail_args_clear(&mail);
}

static void
test_mail_good(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(mail_good); i++)
		check_mail_case(&mail_good[i]);
}

static void
test_mail_bad(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(mail_bad); i++)
		check_mail_case(&mail_bad[i]);
}

static void
test_mail_flags(void)
{
	SmtpMailArgs mail;

	g_assert_cmpint(smtp_parse_mail("FROM:<\"a b\"@[1.2.3.4]>", &mail), ==,
	                SMTP_OK);
	g_assert_true(mail.path.quoted);
	g_assert_true(mail.path.literal);
	g_assert_false(mail.path.utf8);
	g_assert_cmpstr(mail.path.local, ==, "a b");
	g_assert_cmpstr(mail.path.domain, ==, "[1.2.3.4]");
	smtp_mail_args_clear(&mail);

	g_assert_cmpint(smtp_parse_mail("FROM:<@x.example:u@y.example>", &mail),
	                ==, SMTP_OK);
	g_assert_true(mail.path.source_route);
	g_assert_cmpstr(mail.path.domain, ==, "y.example");
	smtp_mail_args_clear(&mail);

	g_assert_cmpint(smtp_parse_mail("FROM:<\xc3\xa9@b.example>", &mail), ==,
	                SMTP_OK);
	g_assert_true(mail.path.utf8);
	smtp_mail_args_clear(&mail);

	/* RFC 4954 5: AUTH=<> and an xtext mailbox */
	g_assert_cmpint(smtp_parse_mail("FROM:<a@b.example> AUTH=<>", &mail),
	                ==, SMTP_OK);
	g_assert_cmpstr(mail.auth, ==, "<>");
	smtp_mail_args_clear(&mail);
	g_assert_null(mail.auth);
	g_assert_cmpint(
		smtp_parse_mail("FROM:<a@b.example> auth=a+2Bb@b.example",
	                        &mail),
		==, SMTP_OK);
	g_assert_cmpstr(mail.auth, ==, "a+b@b.example");
	smtp_mail_args_clear(&mail);
}

/* ---- RCPT TO */

typedef struct {
	const char *args;
	SmtpStatus status;
	const char *address;
	guint notify;
	const char *orcpt;
} RcptCase;

static const RcptCase rcpt_cases[] = {
	{ .args = "TO:<bob@example.test>", SMTP_OK, "bob@example.test" },
	{ .args = "to:<Bob@Example.Test>", SMTP_OK, "Bob@Example.Test" },
	{ .args = "TO:<Postmaster>", SMTP_OK, "Postmaster" },
	{ .args = "TO:<postmaster@example.test>",
	  SMTP_OK,
	  "postmaster@example.test" },
	{ .args = "TO:<a%b@example.test>", SMTP_OK, "a%b@example.test" },
	{ .args = "TO:<\"a@b\"@example.test>",
	  SMTP_OK,
	  "\"a@b\"@example.test" },
	{ .args = "TO:<\"a%b\"@example.test>", SMTP_OK, "a%b@example.test" },
	{ .args = "TO:<@a.example,@b.example:c@d.example>",
	  SMTP_OK,
	  "c@d.example" },
	{ .args = "TO:<a@[1.2.3.4]>", SMTP_OK, "a@[1.2.3.4]" },
	{ .args = "TO:<a@b.example> NOTIFY=SUCCESS,FAILURE "
	          "ORCPT=rfc822;a+40b.example",
	  SMTP_OK,
	  "a@b.example",
	  (1u << 1) | (1u << 2),
	  "rfc822;a@b.example" },
	{ .args = "TO:<a@b.example> notify=never",
	  SMTP_OK,
	  "a@b.example",
	  1u << 0 },
	{ .args = "TO:<a@b.example> NOTIFY=DELAY",
	  SMTP_OK,
	  "a@b.example",
	  1u << 3 },
	{ .args = "TO:<>", SMTP_ERR_PATH },
	{ .args = "TO:<a@b.example", SMTP_ERR_PATH },
	{ .args = "TO:<@a,b:c@d.example>", SMTP_ERR_PATH },
	{ .args = "TO:<a@[tag:]>", SMTP_ERR_PATH },
	{ .args = "FROM:<a@b.example>", SMTP_ERR_SYNTAX },
	{ .args = "TO:a@b.example", SMTP_ERR_SYNTAX },
	{ .args = "TO:<a@b.example> NOTIFY=NEVER,DELAY", SMTP_ERR_PARAM_VALUE },
	{ .args = "TO:<a@b.example> NOTIFY=SOMETIMES", SMTP_ERR_PARAM_VALUE },
	{ .args = "TO:<a@b.example> NOTIFY=SUCCESS,SUCCESS",
	  SMTP_ERR_PARAM_VALUE },
	{ .args = "TO:<a@b.example> NOTIFY=SUCCESS,", SMTP_ERR_PARAM_VALUE },
	{ .args = "TO:<a@b.example> NOTIFY=NEVER NOTIFY=NEVER",
	  SMTP_ERR_PARAM_DUP },
	{ .args = "TO:<a@b.example> ORCPT=rfc822", SMTP_ERR_PARAM_VALUE },
	{ .args = "TO:<a@b.example> ORCPT=;a@b", SMTP_ERR_PARAM_VALUE },
	{ .args = "TO:<a@b.example> ORCPT=rfc822;", SMTP_ERR_PARAM_VALUE },
	{ .args = "TO:<a@b.example> ORCPT=rfc822;a+4", SMTP_ERR_PARAM_VALUE },
	{ .args = "TO:<a@b.example> ORCPT=rf(c;a", SMTP_ERR_PARAM_VALUE },
	{ .args = "TO:<a@b.example> SIZE=1", SMTP_ERR_PARAM_UNKNOWN },
	{ .args = "TO:<a" LONG_LOCAL "@b.example>", SMTP_ERR_TOO_LONG },
};

static void
test_rcpt(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(rcpt_cases); i++) {
		const RcptCase *c = &rcpt_cases[i];
		SmtpRcptArgs rcpt;
		SmtpStatus status = smtp_parse_rcpt(c->args, &rcpt);

		g_test_message("RCPT %s", shown(c->args));
		g_assert_cmpint(status, ==, c->status);
		if (status != SMTP_OK)
			continue;
		g_assert_cmpstr(rcpt.path.address, ==, c->address);
		g_assert_cmpuint(rcpt.notify, ==, c->notify);
		g_assert_cmpstr(rcpt.orcpt, ==, c->orcpt);
		smtp_rcpt_args_clear(&rcpt);
	}
}

static void
test_rcpt_flags(void)
{
	SmtpRcptArgs rcpt;

	g_assert_cmpint(smtp_parse_rcpt("TO:<Postmaster>", &rcpt), ==, SMTP_OK);
	g_assert_true(rcpt.path.postmaster);
	g_assert_null(rcpt.path.domain);
	smtp_rcpt_args_clear(&rcpt);

	g_assert_cmpint(smtp_parse_rcpt("TO:<\"a@b\"@example.test>", &rcpt), ==,
	                SMTP_OK);
	g_assert_true(rcpt.path.quoted);
	g_assert_cmpstr(rcpt.path.local, ==, "a@b");
	smtp_rcpt_args_clear(&rcpt);

	g_assert_cmpint(
		smtp_parse_rcpt("TO:<@a.example:u%v@example.test>", &rcpt), ==,
		SMTP_OK);
	g_assert_true(rcpt.path.source_route);
	g_assert_cmpstr(rcpt.path.local, ==, "u%v");
	smtp_rcpt_args_clear(&rcpt);
}

/* ---- xtext, BDAT, domains */

static void
test_xtext(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "abc", "abc" }, { "a+2Bb", "a+b" }, { "+41", "A" },
		{ "+3d", "=" },   { "", "" },         { "+4", NULL },
		{ "+", NULL },    { "a=b", NULL },    { "a b", NULL },
		{ "+zz", NULL },  { "a\x80", NULL },  { "+2B+2B", "++" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *out
			= smtp_xtext_decode(cases[i].in, strlen(cases[i].in));

		g_assert_cmpstr(out, ==, cases[i].out);
	}
}

static void
test_bdat(void)
{
	static const struct {
		const char *args;
		gboolean ok;
		guint64 size;
		gboolean last;
	} cases[] = {
		{ .args = "100", TRUE, 100, FALSE },
		{ .args = "0 LAST", TRUE, 0, TRUE },
		{ .args = "7 last", TRUE, 7, TRUE },
		{ .args = "7 LAST ", TRUE, 7, TRUE },
		{ .args = "", FALSE },
		{ .args = "x", FALSE },
		{ .args = "100 LAST x", FALSE },
		{ .args = "100 FIRST", FALSE },
		{ .args = "-1", FALSE },
		{ .args = "1x", FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		guint64 size = 0;
		gboolean last = FALSE;

		g_test_message("BDAT %s", cases[i].args);
		g_assert_cmpint(smtp_parse_bdat(cases[i].args, &size, &last),
		                ==, cases[i].ok);
		if (!cases[i].ok)
			continue;
		g_assert_cmpuint(size, ==, cases[i].size);
		g_assert_cmpint(last, ==, cases[i].last);
	}
}

static void
test_domain(void)
{
	g_assert_true(smtp_domain_valid("example.test", 12));
	g_assert_true(smtp_domain_valid("a", 1));
	g_assert_true(smtp_domain_valid("1-2.x", 5));
	g_assert_false(smtp_domain_valid("", 0));
	g_assert_false(smtp_domain_valid("a.", 2));
	g_assert_false(smtp_domain_valid(".a", 2));
	g_assert_false(smtp_domain_valid("a-", 2));
	g_assert_false(smtp_domain_valid("a b", 3));
}

/* ---- message checks */

static void
test_received(void)
{
	static const struct {
		const char *message;
		guint count;
	} cases[] = {
		{ "Received: a\r\nReceived: b\r\nSubject: x\r\n\r\n"
		  "Received: in the body\r\n",
		  2 },
		{ "received :x\r\n\r\n", 1 },
		{ "RECEIVED:x\r\n  folded\r\n", 1 },
		{ "X-Received: y\r\nReceivedx: z\r\n\r\n", 0 },
		{ "\r\nReceived: body only\r\n", 0 },
		{ "Received", 0 },
		{ "", 0 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpuint(
			smtp_count_received((const guint8 *)cases[i].message,
		                            strlen(cases[i].message)),
			==, cases[i].count);
}

static void
test_bare(void)
{
	static const struct {
		const char *data;
		gboolean bare;
	} cases[] = {
		{ "a\r\nb\r\n", FALSE }, { "", FALSE },   { "a\nb", TRUE },
		{ "a\rb", TRUE },        { "a\r", TRUE }, { "\n", TRUE },
		{ "\r\r\n", TRUE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpint(
			smtp_has_bare_cr_lf((const guint8 *)cases[i].data,
		                            strlen(cases[i].data)),
			==, cases[i].bare);
}

static void
test_status_replies(void)
{
	for (SmtpStatus s = SMTP_OK; s <= SMTP_ERR_BINARY; s++) {
		const char *reply = smtp_status_reply(s);

		g_assert_true(g_ascii_isdigit(reply[0]));
		g_assert_cmpint(reply[3], ==, ' ');
		g_assert_cmpint(reply[4], ==, reply[0]); /* X.Y.Z matches */
	}
}

/* ---- SASL responses */

typedef struct {
	const char *text;
	const char *data; /* NULL: refused */
	gsize len;
} SaslCase;

static const SaslCase sasl_cases[] = {
	{ "", "", 0 },
	{ "YQ==", "a", 1 },
	{ "YWI=", "ab", 2 },
	{ "YWJj", "abc", 3 },
	{ "AGRlbW8AcGFzcw==", "\0demo\0pass", 10 },
	{ "YQ=", NULL, 0 },
	{ "YQ", NULL, 0 },
	{ "Y===", NULL, 0 },
	{ "=YQ=", NULL, 0 },
	{ "Y=Q=", NULL, 0 },
	{ "YW J", NULL, 0 },
	{ "YWJj\r", NULL, 0 },
	{ "YWJ-", NULL, 0 },
	{ "*", NULL, 0 },
	{ "=", NULL, 0 },
};

static void
test_sasl_decode(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(sasl_cases); i++) {
		const SaslCase *c = &sasl_cases[i];
		gsize len = 99;
		g_autofree guint8 *data = smtp_sasl_decode(c->text, &len);

		g_test_message("base64 \"%s\"", shown(c->text));
		if (c->data == NULL) {
			g_assert_null(data);
			continue;
		}
		g_assert_nonnull(data);
		g_assert_cmpmem(data, len, c->data, c->len);
		g_assert_cmpint(data[len], ==, '\0');
	}
}

typedef struct {
	const char *data;
	gsize len;
	const char *authzid; /* NULL: none */
	const char *authcid; /* NULL: refused */
	const char *password;
} PlainCase;

static const PlainCase plain_cases[] = {
	{ "\0demo@example.test\0secret", 25, NULL, "demo@example.test",
	  "secret" },
	{ "a@b\0a@b\0pw", 10, "a@b", "a@b", "pw" },
	{ "\0u\0p w \xc3\xa9", 9, NULL, "u", "p w \xc3\xa9" },
	{ "\0\0secret", 8, NULL, NULL, NULL },
	{ "\0user\0", 6, NULL, NULL, NULL },
	{ "\0user", 5, NULL, NULL, NULL },
	{ "user\0pass", 9, NULL, NULL, NULL },
	{ "\0user\0pass\0more", 15, NULL, NULL, NULL },
	{ "\0\xff\xfe\0pass", 8, NULL, NULL, NULL },
	{ "", 0, NULL, NULL, NULL },
};

static void
test_sasl_plain(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(plain_cases); i++) {
		const PlainCase *c = &plain_cases[i];
		g_autofree char *authzid = NULL;
		g_autofree char *authcid = NULL;
		g_autofree char *password = NULL;
		gboolean ok = smtp_sasl_plain((const guint8 *)c->data, c->len,
		                              &authzid, &authcid, &password);

		g_test_message("PLAIN case %u", i);
		g_assert_cmpint(ok, ==, c->authcid != NULL);
		g_assert_cmpstr(authzid, ==, c->authzid);
		g_assert_cmpstr(authcid, ==, c->authcid);
		g_assert_cmpstr(password, ==, c->password);
	}
}

/* ---- RFC 5322 address lists (the From: field) */

typedef struct {
	const char *text;
	const char *addresses; /* joined by " "; NULL: malformed */
} AddressCase;

static const AddressCase address_cases[] = {
	{ "demo@example.test", "demo@example.test" },
	{ "Demo <demo@example.test>", "demo@example.test" },
	{ "<demo@example.test>", "demo@example.test" },
	{ "\"Demo, the user\" <demo@example.test>", "demo@example.test" },
	{ "\"boss@bank.example\" <demo@example.test>", "demo@example.test" },
	{ "\"a \\\"quoted\\\" name\" <demo@example.test>",
	  "demo@example.test" },
	{ "demo@example.test (Demo User)", "demo@example.test" },
	{ "(c) demo(x)@(y)example.test(z)", "demo@example.test" },
	{ "Demo (a (nested) comment) <demo@example.test>",
	  "demo@example.test" },
	{ "Demo <demo@example.test>, alice@client.example",
	  "demo@example.test alice@client.example" },
	{ "a@b.example,,c@d.example,", "a@b.example c@d.example" },
	{ "Team: a@b.example, Demo <c@d.example>;", "a@b.example c@d.example" },
	{ "undisclosed-recipients:;", "" },
	{ "Team: a@b.example; , e@f.example", "a@b.example e@f.example" },
	{ "John Q. Public <jqp@example.test>", "jqp@example.test" },
	{ "=?UTF-8?Q?D=C3=A9mo?= <demo@example.test>", "demo@example.test" },
	{ "D\xc3\xa9mo <d\xc3\xa9mo@example.test>",
	  "d\xc3\xa9mo@example.test" },
	{ "Demo\t<demo@example.test>", "demo@example.test" },
	{ "Demo <demo @ example . test>", "demo@example.test" },
	{ "\"demo\"@example.test", "demo@example.test" },
	{ "\"first.last\"@example.test", "first.last@example.test" },
	{ "\"john doe\"@example.test", "\"john doe\"@example.test" },
	{ "first.\"middle\".last@example.test",
	  "first.middle.last@example.test" },
	{ "<@relay.example,@other.example:demo@example.test>",
	  "demo@example.test" },
	{ "demo@[192.0.2.1]", "demo@[192.0.2.1]" },
	{ "", "" },
	{ "   ", "" },
	/* malformed */
	{ "demo", NULL },
	{ "Demo", NULL },
	{ "demo@", NULL },
	{ "@example.test", NULL },
	{ "a b@example.test", NULL },
	{ "a..b@example.test", NULL },
	{ ".a@example.test", NULL },
	{ "a.@example.test", NULL },
	{ "a@b@example.test", NULL },
	{ "a@example..test", NULL },
	{ "a@\"quoted\".test", NULL },
	{ "Demo <demo@example.test", NULL },
	{ "Demo demo@example.test>", NULL },
	{ "Demo <>", NULL },
	{ "<demo@example.test> <alice@client.example>", NULL },
	{ "a@b.example c@d.example", NULL },
	{ "demo@example.test <alice@client.example>", NULL },
	{ "Demo <demo@example.test> alice@client.example", NULL },
	{ "(unterminated demo@example.test", NULL },
	{ "demo@example.test (a (b)", NULL },
	{ "demo@example.test)", NULL },
	{ "\"unterminated <demo@example.test>", NULL },
	{ "Team: a@b.example", NULL },
	{ "Outer: Inner: a@b.example;;", NULL },
	{ ": a@b.example;", NULL },
	{ "a@b.example;", NULL },
	{ "Demo <demo@example.test\x01>", NULL },
	{ "Demo \x7f <demo@example.test>", NULL },
	{ "demo@[192.0.2.1", NULL },
	{ "<@relay.example demo@example.test>", NULL },
};

static void
test_address_list(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(address_cases); i++) {
		const AddressCase *c = &address_cases[i];
		g_autoptr(GPtrArray) list = smtp_parse_address_list(c->text);
		g_autofree char *joined = NULL;

		g_test_message("From: %s", shown(c->text));
		if (c->addresses == NULL) {
			g_assert_null(list);
			continue;
		}
		g_assert_nonnull(list);
		g_ptr_array_add(list, NULL);
		joined = g_strjoinv(" ", (char **)list->pdata);
		g_assert_cmpstr(joined, ==, c->addresses);
	}
}

/* ---- header fields */

static void
test_header_values(void)
{
	static const char message[] = "From: Demo\r\n <demo@example.test>\r\n"
				      "Subject: one\r\n"
				      "from :\talias@example.test\r\n"
				      "X-From: not@this.one\r\n"
				      "\r\n"
				      "From: body@example.test\r\n";
	g_auto(GStrv) from = smtp_header_values((const guint8 *)message,
	                                        strlen(message), "From");
	g_auto(GStrv) none = smtp_header_values((const guint8 *)message,
	                                        strlen(message), "Date");

	g_assert_cmpuint(g_strv_length(from), ==, 2);
	g_assert_cmpstr(from[0], ==, "Demo <demo@example.test>");
	g_assert_cmpstr(from[1], ==, "alias@example.test");
	g_assert_cmpuint(g_strv_length(none), ==, 0);
}

static void
test_header_end(void)
{
	static const struct {
		const char *message;
		gsize end;
	} cases[] = {
		{ "A: 1\r\nB: 2\r\n\r\nbody\r\n", 12 },
		{ "A: 1\r\n folded\r\n\r\n", 15 },
		{ "\r\nbody\r\n", 0 },
		{ "A: 1\r\nB: 2\r\n", 12 },
		{ "A: 1", 4 },
		{ "", 0 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpuint(
			smtp_header_end((const guint8 *)cases[i].message,
		                        strlen(cases[i].message)),
			==, cases[i].end);
}

/* ---- the DATA stream */

typedef struct {
	const char *name;
	const char *input;
	gsize len; /* 0: strlen */
	SmtpStreamResult result;
	const char *content; /* when END */
	gsize used;          /* when END */
} StreamCase;

#define NUL_DOT "a\r\n\0.\r\nMAIL FROM:<x@y>\r\n"

static const StreamCase stream_cases[] = {
	{ .name = "simple",
	  "hello\r\n.\r\n",
	  0,
	  SMTP_STREAM_END,
	  "hello\r\n",
	  10 },
	{ .name = "empty", ".\r\n", 0, SMTP_STREAM_END, "", 3 },
	{ .name = "unstuff",
	  "..dot\r\n.\r\n",
	  0,
	  SMTP_STREAM_END,
	  ".dot\r\n",
	  10 },
	{ .name = "unstuff-any",
	  ".x\r\n. \r\n.\r\n",
	  0,
	  SMTP_STREAM_END,
	  "x\r\n \r\n",
	  11 },
	{ .name = "dot-line",
	  "x\r\n..\r\n.\r\n",
	  0,
	  SMTP_STREAM_END,
	  "x\r\n.\r\n",
	  10 },
	{ .name = "blank-lines",
	  "\r\n\r\n.\r\n",
	  0,
	  SMTP_STREAM_END,
	  "\r\n\r\n",
	  7 },
	{ .name = "stops-at-end",
	  "a\r\n.\r\nMAIL FROM:<x@y>\r\n",
	  0,
	  SMTP_STREAM_END,
	  "a\r\n",
	  6 },
	{ .name = "more", "a\r\nb\r\n", 0, SMTP_STREAM_MORE },
	{ .name = "dot-inside", "a.\r\n.b\r\n", 0, SMTP_STREAM_MORE },
	{ .name = "lf-dot-lf",
	  "a\n.\nMAIL FROM:<x@y>\r\n",
	  0,
	  SMTP_STREAM_BARE },
	{ .name = "cr-dot-cr",
	  "a\r.\rMAIL FROM:<x@y>\r\n",
	  0,
	  SMTP_STREAM_BARE },
	{ .name = "lf-dot-crlf",
	  "a\n.\r\nMAIL FROM:<x@y>\r\n",
	  0,
	  SMTP_STREAM_BARE },
	{ .name = "crlf-dot-cr",
	  "a\r\n.\rMAIL FROM:<x@y>\r\n",
	  0,
	  SMTP_STREAM_BARE },
	{ .name = "crlf-dot-lf",
	  "a\r\n.\nMAIL FROM:<x@y>\r\n",
	  0,
	  SMTP_STREAM_BARE },
	{ .name = "nul-dot", NUL_DOT, sizeof NUL_DOT - 1, SMTP_STREAM_MORE },
	{ .name = "bare-lf-first", "\n", 0, SMTP_STREAM_BARE },
	{ .name = "bare-cr-mid", "ab\rc\r\n", 0, SMTP_STREAM_BARE },
};

/* Feed `c` in pieces of `step` bytes (0: at `split` only). */
static SmtpStreamResult
feed_pieces(const StreamCase *c,
            gsize step,
            gsize split,
            GByteArray *out,
            gsize *total)
{
	gsize len = c->len ? c->len : strlen(c->input);
	const guint8 *data = (const guint8 *)c->input;
	SmtpStream st;
	gsize pos = 0;

	smtp_stream_init(&st);
	while (pos < len) {
		gsize piece
			= step ? step : (pos < split ? split - pos : len - pos);
		gsize used = 0;
		SmtpStreamResult r;

		piece = MIN(piece, len - pos);
		r = smtp_stream_feed(&st, data + pos, piece, out, &used);
		pos += used;
		if (r != SMTP_STREAM_MORE) {
			*total = pos;
			return r;
		}
		g_assert_cmpuint(used, ==, piece);
	}
	*total = pos;
	return SMTP_STREAM_MORE;
}

static void
check_stream_case(const StreamCase *c, gsize step, gsize split)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	gsize used = 0;
	SmtpStreamResult r = feed_pieces(c, step, split, out, &used);

	g_assert_cmpint(r, ==, c->result);
	if (r != SMTP_STREAM_END)
		return;
	g_assert_cmpuint(used, ==, c->used);
	g_assert_cmpmem(out->data, out->len, c->content, strlen(c->content));
}

static void
test_stream(gconstpointer data)
{
	const StreamCase *c = data;
	gsize len = c->len ? c->len : strlen(c->input);

	check_stream_case(c, 0, len);
	check_stream_case(c, 1, 0);
	for (gsize split = 1; split < len; split++)
		check_stream_case(c, 0, split);
}

static void
test_stream_no_output(void)
{
	SmtpStream st;
	gsize used = 0;

	smtp_stream_init(&st);
	g_assert_cmpint(smtp_stream_feed(&st, (const guint8 *)"x\r\n.\r\n", 6,
	                                 NULL, &used),
	                ==, SMTP_STREAM_END);
	g_assert_cmpuint(used, ==, 6);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/smtp/parser/split-command", test_split);
	g_test_add_func("/smtp/parser/mail-from/good", test_mail_good);
	g_test_add_func("/smtp/parser/mail-from/bad", test_mail_bad);
	g_test_add_func("/smtp/parser/mail-from/flags", test_mail_flags);
	g_test_add_func("/smtp/parser/rcpt-to/table", test_rcpt);
	g_test_add_func("/smtp/parser/rcpt-to/flags", test_rcpt_flags);
	g_test_add_func("/smtp/parser/xtext", test_xtext);
	g_test_add_func("/smtp/parser/bdat", test_bdat);
	g_test_add_func("/smtp/parser/domain", test_domain);
	g_test_add_func("/smtp/parser/count-received", test_received);
	g_test_add_func("/smtp/parser/bare-cr-lf", test_bare);
	g_test_add_func("/smtp/parser/status-replies", test_status_replies);
	g_test_add_func("/smtp/parser/sasl/decode", test_sasl_decode);
	g_test_add_func("/smtp/parser/sasl/plain", test_sasl_plain);
	g_test_add_func("/smtp/parser/address-list", test_address_list);
	g_test_add_func("/smtp/parser/header/values", test_header_values);
	g_test_add_func("/smtp/parser/header/end", test_header_end);
	for (guint i = 0; i < G_N_ELEMENTS(stream_cases); i++) {
		g_autofree char *path = g_strdup_printf("/smtp/stream/%s",
		                                        stream_cases[i].name);

		g_test_add_data_func(path, &stream_cases[i], test_stream);
	}
	g_test_add_func("/smtp/stream/no-output", test_stream_no_output);
	return g_test_run();
}
