/* smtp-parser.h: pure parsers for SMTP command lines, paths and parameters.
 * SPDX-License-Identifier: MIT
 *
 * Nothing here touches a connection: every function takes bytes and fills
 * a struct, so the unit test and the fuzz target drive them directly.
 * Grammar: RFC 5321 section 4.1.2 (paths), RFC 1870 (SIZE), RFC 6152
 * (8BITMIME), RFC 3030 (BINARYMIME), RFC 6531 (SMTPUTF8), RFC 3461 (DSN),
 * RFC 4954 and RFC 4616 (AUTH, SASL PLAIN), RFC 5322 3.4 (address lists).
 */
#ifndef SMTP_PARSER_H
#define SMTP_PARSER_H

#include <glib.h>

G_BEGIN_DECLS

/* RFC 5321 4.5.3.1 limits. */
#define SMTP_MAX_LOCAL_PART 64
#define SMTP_MAX_DOMAIN 255
#define SMTP_MAX_PATH 256
#define SMTP_MAX_ENVID 100 /* RFC 3461 4.4 */
#define SMTP_MAX_ORCPT 500 /* RFC 3461 4.2 */

/* What a parse found wrong; smtp_status_reply() gives the reply line. */
typedef enum {
	SMTP_OK = 0,
	SMTP_ERR_SYNTAX,        /* 501 5.5.4: the command's own syntax */
	SMTP_ERR_PATH,          /* 501 5.1.3: a malformed address */
	SMTP_ERR_SENDER,        /* 501 5.1.7: a malformed sender address */
	SMTP_ERR_TOO_LONG,      /* 501 5.1.3: path, local part or domain */
	SMTP_ERR_PARAM_UNKNOWN, /* 555 5.5.4: a parameter we do not know */
	SMTP_ERR_PARAM_VALUE,   /* 501 5.5.4: a bad parameter value */
	SMTP_ERR_PARAM_DUP,     /* 501 5.5.4: a parameter given twice */
	SMTP_ERR_BINARY,        /* 555 5.5.4: BODY=BINARYMIME */
} SmtpStatus;

typedef enum {
	SMTP_BODY_NONE = 0,
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,
} SmtpBody;

typedef enum {
	SMTP_RET_NONE = 0,
	SMTP_RET_FULL,
	SMTP_RET_HDRS,
} SmtpRet;

/* A reverse or forward path.  All strings are owned (smtp_path_clear). */
typedef struct {
	/* local@domain without <>: the local part unquoted when it is a
	 * valid dot-string, quoted as given otherwise; "" for <>; the bare
	 * word for <Postmaster> */
	char *address;
	char *local;  /* the local part, quoting and escapes removed */
	char *domain; /* nullable for <> and <Postmaster>; literals keep [] */
	gboolean quoted;       /* the local part was a quoted-string */
	gboolean literal;      /* the domain is an address literal */
	gboolean source_route; /* an A-d-l ("@a,@b:") came first */
	gboolean utf8;         /* non-ASCII bytes (needs SMTPUTF8) */
	gboolean postmaster;   /* <Postmaster> without a domain */
} SmtpPath;

typedef struct {
	SmtpPath path;
	gboolean has_size;
	guint64 size; /* G_MAXUINT64 when it does not fit */
	SmtpBody body;
	gboolean smtputf8;
	SmtpRet ret;
	char *envid; /* nullable: ENVID=, xtext decoded */
	char *auth;  /* nullable: AUTH= (RFC 4954 5), xtext decoded */
} SmtpMailArgs;

typedef struct {
	SmtpPath path;
	guint notify; /* RAVEN_NOTIFY_* bits (same values); 0: not given */
	char *orcpt;  /* nullable: "addr-type;address", xtext decoded */
} SmtpRcptArgs;

/* The NOTIFY bits, equal to RAVEN_NOTIFY_* of raven-plugin.h. */
#define SMTP_NOTIFY_NEVER (1u << 0)
#define SMTP_NOTIFY_SUCCESS (1u << 1)
#define SMTP_NOTIFY_FAILURE (1u << 2)
#define SMTP_NOTIFY_DELAY (1u << 3)

/* Split "VERB args" at the first space.  `verb` gets the verb (upper
 * case, transfer full); `args` points into `line` after the spaces (never
 * NULL).  FALSE when the line is empty or the verb is not letters. */
gboolean smtp_split_command(const char *line, char **verb, const char **args);

/* Parse a path from `text` (which starts with '<'); `end` is set after
 * the closing '>'.  `allow_null` accepts <>. */
SmtpStatus smtp_parse_path(const char *text,
                           gboolean allow_null,
                           SmtpPath *path,
                           const char **end);

/* The argument of MAIL ("FROM:<path> params") and RCPT ("TO:<path>
 * params").  On failure the struct is cleared. */
SmtpStatus smtp_parse_mail(const char *args, SmtpMailArgs *mail);
SmtpStatus smtp_parse_rcpt(const char *args, SmtpRcptArgs *rcpt);

/* Decode RFC 3461 xtext (transfer full), or NULL when malformed. */
char *smtp_xtext_decode(const char *text, gsize len);

/* Domain syntax (RFC 5321 Domain, with UTF-8 labels allowed). */
gboolean smtp_domain_valid(const char *domain, gsize len);

/* "BDAT size [LAST]": FALSE on bad syntax. */
gboolean smtp_parse_bdat(const char *args, guint64 *size, gboolean *last);

/* A SASL response or initial response in strict base64 (RFC 4648, with
 * padding): the decoded bytes, NUL-terminated (transfer full; `len`
 * excludes the NUL), or NULL when malformed.  "" decodes to nothing. */
guint8 *smtp_sasl_decode(const char *text, gsize *len);

/* Split a decoded SASL PLAIN response, "authzid NUL authcid NUL passwd"
 * (RFC 4616).  `authzid` is NULL when empty; the others are never empty.
 * FALSE when malformed; all three are then NULL. */
gboolean smtp_sasl_plain(const guint8 *data,
                         gsize len,
                         char **authzid,
                         char **authcid,
                         char **password);

/* Lexing helpers shared with smtp-header.c. */
gboolean smtp_is_atext(guchar c);
/* The length of the dot-string (RFC 5321) that starts `s`, 0 if none. */
gsize smtp_dot_string_len(const char *s);
/* The length of the quoted-string that starts `s` (at its '"'), 0 when
 * malformed; its unescaped content is appended to `out`. */
gsize smtp_quoted_string_len(const char *s, GString *out);

/* smtp-header.c */
/* The addresses (local@domain, the local part unquoted when it can be) of
 * an RFC 5322 address-list such as a From: field's value, unfolded:
 * display names, comments and group names dropped, group members kept.
 * NULL when malformed (transfer full: a GPtrArray of char *). */
GPtrArray *smtp_parse_address_list(const char *text);

/* Where the header of `message` ends: the offset of the empty line before
 * the body, or `len` when there is none. */
gsize smtp_header_end(const guint8 *message, gsize len);

/* The values of the header fields named `name` (any case), in order,
 * unfolded (line ends removed), without leading white space; a NUL byte
 * cuts a value short (transfer full, NULL-terminated). */
char **smtp_header_values(const guint8 *message, gsize len, const char *name);

/* The reply line for a status (static, without CRLF). */
const char *smtp_status_reply(SmtpStatus status);

void smtp_path_clear(SmtpPath *path);
void smtp_mail_args_clear(SmtpMailArgs *mail);
void smtp_rcpt_args_clear(SmtpRcptArgs *rcpt);

G_END_DECLS

#endif /* SMTP_PARSER_H */
