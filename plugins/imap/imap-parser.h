/* imap-parser.h: pure parsers for IMAP commands, sequence sets, FETCH
 * attributes, command parameters and modified UTF-7 mailbox names.
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
#define IMAP_SEQ_STAR 0                  /* no number is 0 */

typedef enum {
	IMAP_ARG_ATOM = 1,
	IMAP_ARG_STRING, /* quoted or literal */
	IMAP_ARG_LIST,
	IMAP_ARG_NIL,
} ImapArgType;

typedef struct {
	ImapArgType type;
	char *str; /* NUL-terminated copy; NIL's as written */
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
	IMAP_FETCH_BINARY,      /* RFC 3516: BINARY[1.2]<0.10>, decoded */
	IMAP_FETCH_BINARY_SIZE, /* BINARY.SIZE[1.2] */
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

/* An astring: atom, string or the atom NIL, which RFC 9051's grammar
 * reads as the text "NIL" wherever an astring, mailbox, list-mailbox,
 * flag or search key goes; FALSE for a list.  (*out is never NULL.) */
gboolean imap_arg_astring(const ImapArg *arg, const char **out);

/* "1:*,4,7:9" into `ranges` (ImapRange); FALSE when malformed. */
gboolean imap_parse_seqset(const char *text, GArray *ranges);
/* Whether `n` is in the set, with '*' meaning `star`. */
gboolean imap_seqset_contains(const GArray *ranges, guint32 n, guint32 star);

/* Ranges sorted by their start and merged where they touch; '*' taken as
 * `star` first.  (Normalised ranges have lo <= hi.) */
void imap_ranges_normalize(GArray *ranges, guint32 star);
/* Add [lo, hi] after the last range of ascending `ranges`, merged with it
 * when they touch. */
void imap_ranges_add(GArray *ranges, guint32 lo, guint32 hi);
/* The numbers of normalised `ranges` within [min, max] that are not in
 * the ascending array `present`, as ranges into `out`. */
void imap_ranges_subtract(const GArray *ranges,
                          guint32 min,
                          guint32 max,
                          const guint32 *present,
                          guint n_present,
                          GArray *out);
/* The first `max` numbers of a set without '*', in the order written. */
GArray *imap_ranges_expand(const GArray *ranges, guint max);
/* Ascending ranges as a compact set, "1:5,8"; "" for none. */
void imap_ranges_format(GString *out, const GArray *ranges);
/* Whether the ascending guint32 array `uids` (nullable) holds `uid`. */
gboolean imap_uids_contain(const GArray *uids, guint32 uid);

/* A mod-sequence (RFC 7162: 0 to 2^63 - 1). */
gboolean imap_parse_modseq(const char *text, guint64 *out);

/* The modifiers of FETCH (RFC 7162): (CHANGEDSINCE n [VANISHED]). */
typedef struct {
	gboolean changedsince_set;
	guint64 changedsince;
	gboolean vanished;
} ImapFetchMods;
gboolean imap_parse_fetch_mods(const ImapArg *list, ImapFetchMods *mods);
/* The modifier of STORE: (UNCHANGEDSINCE n). */
gboolean imap_parse_store_mods(const ImapArg *list, guint64 *unchangedsince);

/* The parameters of SELECT and EXAMINE: (CONDSTORE) and
 * (QRESYNC (uidvalidity modseq [known-uids [(seqs uids)]])). */
typedef struct {
	gboolean condstore;
	gboolean qresync;
	guint32 uidvalidity;
	guint64 modseq;
	GArray *known_uids; /* ImapRange, nullable: all */
	GArray *match_seqs; /* ImapRange, nullable: none */
	GArray *match_uids;
} ImapSelectParams;
gboolean imap_parse_select_params(const ImapArg *list, ImapSelectParams *p);
void imap_select_params_clear(ImapSelectParams *p);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ImapSelectParams, imap_select_params_clear)

/* SEARCH RETURN options (RFC 4731, RFC 5182); RETURN () means ALL. */
typedef enum {
	IMAP_SEARCH_MIN = 1 << 0,
	IMAP_SEARCH_MAX = 1 << 1,
	IMAP_SEARCH_ALL = 1 << 2,
	IMAP_SEARCH_COUNT = 1 << 3,
	IMAP_SEARCH_SAVE = 1 << 4,
} ImapSearchReturn;
gboolean imap_parse_search_return(const ImapArg *list, guint *options);

/* One FETCH attribute atom, e.g. "BODY.PEEK[1.HEADER]<0.100>" or
 * "BINARY.PEEK[1]" (whose section is part numbers only). */
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
