/* pop3-parser.h: pure parsers of the pop3 plugin: command lines, SASL PLAIN.
 * SPDX-License-Identifier: MIT
 *
 * Nothing here touches a connection, so the unit test and the fuzz target
 * drive these functions directly.  Grammar: RFC 1939 section 3 (keywords
 * and arguments), RFC 2449 (255 octets a command line), RFC 5034 (AUTH),
 * RFC 4616 (PLAIN).
 */
#ifndef POP3_PARSER_H
#define POP3_PARSER_H

#include <glib.h>

G_BEGIN_DECLS

/* RFC 2449 section 4: a command line is at most 255 octets with CRLF. */
#define POP3_MAX_LINE 255
/* RFC 1939 section 3: arguments are at most 40 characters (PASS and the
 * SASL responses of AUTH are longer in practice and are exempt). */
#define POP3_MAX_ARG 40

typedef enum {
	POP3_CMD_CAPA = 0,
	POP3_CMD_USER,
	POP3_CMD_PASS,
	POP3_CMD_AUTH,
	POP3_CMD_STLS,
	POP3_CMD_STAT,
	POP3_CMD_LIST,
	POP3_CMD_RETR,
	POP3_CMD_DELE,
	POP3_CMD_NOOP,
	POP3_CMD_RSET,
	POP3_CMD_QUIT,
	POP3_CMD_TOP,
	POP3_CMD_UIDL,
	POP3_CMD_COUNT
} Pop3CommandId;

typedef enum {
	POP3_PARSE_OK = 0,
	POP3_PARSE_EMPTY,      /* nothing but spaces */
	POP3_PARSE_TOO_LONG,   /* over POP3_MAX_LINE */
	POP3_PARSE_BAD_BYTE,   /* NUL, CR or another control byte */
	POP3_PARSE_UNKNOWN,    /* not a keyword we know */
	POP3_PARSE_ARGS,       /* too few or too many arguments */
	POP3_PARSE_NUMBER,     /* a message number or line count is bad */
	POP3_PARSE_ARG_LENGTH, /* an argument over POP3_MAX_ARG */
} Pop3ParseStatus;

/* A parsed command.  `arg` points into `buf` (owned). */
typedef struct {
	Pop3CommandId id;
	char keyword[5]; /* upper case */
	guint nargs;     /* 0, 1 or 2 */
	/* USER: the name; PASS: the rest of the line (spaces kept); AUTH:
	 * the mechanism; NULL when not given */
	const char *arg;
	const char *arg2; /* AUTH: the initial response, nullable */
	guint32 msg;      /* LIST, RETR, DELE, TOP, UIDL: 1.. (0: none) */
	guint64 lines;    /* TOP: body lines */
	char *buf;
} Pop3Command;

/* Parse one command line (without its line end, `len` bytes that may hold
 * NUL).  On POP3_PARSE_OK `cmd` is filled; call pop3_command_clear after
 * any outcome. */
Pop3ParseStatus
pop3_parse_command(const char *line, gsize len, Pop3Command *cmd);
void pop3_command_clear(Pop3Command *cmd);

/* The -ERR text for a failed parse (static, without "-ERR " and CRLF). */
const char *pop3_parse_status_text(Pop3ParseStatus status);

/* A decimal message number or count: digits only, no sign, fits `max`. */
gboolean pop3_parse_number(const char *text, guint64 max, guint64 *value);

/* Decode a SASL PLAIN response ("authzid NUL authcid NUL passwd",
 * base64; "=" is empty).  The strings are transfer full; authzid is NULL
 * when empty.  FALSE on bad base64 or layout. */
gboolean pop3_parse_sasl_plain(const char *base64,
                               char **authzid,
                               char **authcid,
                               char **password);

G_END_DECLS

#endif /* POP3_PARSER_H */
