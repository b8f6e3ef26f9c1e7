/* imap-parser.h: pure parsers for IMAP commands, sequence sets, FETCH
 * attributes and modified UTF-7 mailbox names.
 * SPDX-License-Identifier: MIT
 *
 * No I/O and no session state: each function takes bytes and returns a
 * tree or FALSE, so they are unit-tested and fuzzed on their own.
 */
#ifndef IMAP_PARSER_H
#define IMAP_PARSER_H

#include <glib.h>

#define IMAP_MAX_LINE (64 * 1024)
#define IMAP_MAX_DEPTH 16
#define IMAP_MAX_LITERAL_ANON (4 * 1024) /* before login */
#define IMAP_SEQ_STAR G_MAXUINT32

typedef enum {
	IMAP_ARG_ATOM = 1,
	IMAP_ARG_STRING, /* quoted or literal */
	IMAP_ARG_LIST,
	IMAP_ARG_NIL,
} ImapArgType;

typedef struct {
	ImapArgType type;
	char *str; /* ATOM and STRING: NUL-terminated copy */
	gsize len; /* its length (a literal may hold NUL) */
	gboolean literal;
	GPtrArray *list; /* LIST: ImapArg * */
} ImapArg;

typedef struct {
	char *tag;       /* nullable when even the tag was broken */
	char *name;      /* upper case */
	GPtrArray *args; /* ImapArg * */
} ImapCommand;

/* One range of a sequence set; IMAP_SEQ_STAR stands for '*'. */
typedef struct {
	guint32 lo, hi;
} ImapRange;

typedef enum {
	IMAP_FETCH_FLAGS = 1,
	IMAP_FETCH_UID,
	IMAP_FETCH_INTERNALDATE,
	IMAP_FETCH_RFC822_SIZE,
	IMAP_FETCH_RFC822,
	IMAP_FETCH_RFC822_HEADER,
	IMAP_FETCH_RFC822_TEXT,
	IMAP_FETCH_ENVELOPE,
	IMAP_FETCH_BODYSTRUCTURE,
	IMAP_FETCH_BODY, /* BODY without a section: non-extensible structure */
	IMAP_FETCH_SECTION,
	IMAP_FETCH_MODSEQ,
} ImapFetchKind;

typedef enum {
	IMAP_SECTION_ALL = 0, /* BODY[] or BODY[1.2] */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME,
} ImapSectionText;

#define IMAP_MAX_PART_DEPTH 16

typedef struct {
	ImapFetchKind kind;
	gboolean peek;
	guint part[IMAP_MAX_PART_DEPTH]; /* 1.2.3 */
	guint n_part;
	ImapSectionText text;
	char **fields; /* HEADER.FIELDS names, upper case */
	char *section; /* the section as echoed back, e.g. "1.HEADER" */
	gboolean partial;
	guint64 offset, count;
} ImapFetchAtt;

/* When a line ends with a literal announcement {n} or {n+}: TRUE, its size
 * and whether it is non-synchronising (LITERAL+). */
gboolean imap_line_literal(const char *line,
                           gsize len,
                           guint64 *size,
                           gboolean *nonsync);

/* Parse a whole command (literals inline as "{n}\r\n" + n bytes).  FALSE
 * with `problem` (static text) on a syntax error; cmd->tag is set when the
 * tag itself was fine.  Clear with imap_command_clear. */
gboolean imap_parse_command(const char *data,
                            gsize len,
                            ImapCommand *cmd,
                            const char **problem);
void imap_command_clear(ImapCommand *cmd);
void imap_arg_free(gpointer arg);

/* A string-ish argument: atom, string or NIL (as NULL); FALSE otherwise. */
gboolean imap_arg_astring(const ImapArg *arg, const char **out);

/* "1:*,4,7:9" into `ranges` (ImapRange); FALSE when malformed. */
gboolean imap_parse_seqset(const char *text, GArray *ranges);
/* Whether `n` is in the set, with '*' meaning `star`. */
gboolean imap_seqset_contains(const GArray *ranges, guint32 n, guint32 star);

/* One FETCH attribute atom, e.g. "BODY.PEEK[1.HEADER]<0.100>". */
gboolean imap_parse_fetch_att(const char *atom, ImapFetchAtt *att);
void imap_fetch_att_clear(ImapFetchAtt *att);

/* Modified UTF-7 (RFC 3501 5.1.3) to and from UTF-8; NULL when invalid.
 * (transfer full) */
char *imap_utf7_to_utf8(const char *name);
char *imap_utf8_to_utf7(const char *name);

/* Whether `name` matches a LIST pattern with '*' and '%' ('/' the
 * hierarchy separator). */
gboolean imap_list_match(const char *pattern, const char *name);

#endif /* IMAP_PARSER_H */
