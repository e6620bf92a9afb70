/* troy_lex: the tokens of the troy language, source positions and error
 * formatting for troy.c (internal to the troy parser).
 *
 * The lexer is driven one token at a time. A string is not scanned by the
 * lexer: it stops after the opening quote(s) and the parser reads the
 * contents itself (interpolations are expressions, lexed from inside). */
#ifndef WF_TROY_LEX_H
#define WF_TROY_LEX_H

#include <stddef.h>

enum troy_tok {
	T_EOF, T_BAD, T_IDENT, T_INT, T_FLOAT, T_STR,
	T_DOC,			/* ## ... */
	T_MODDOC,		/* ### ... */
	T_CONFIG,		/* #!config */
	/* punctuation */
	T_COLONCOLON, T_COLON, T_COMMA, T_SEMI, T_ASSIGN, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
	T_SHL, T_SHR, T_SHRU, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT, T_LPAREN, T_RPAREN,
	T_LBRACK, T_RBRACK, T_LBRACE, T_RBRACE, T_DOT, T_DOLLAR, T_AMP, T_CARET, T_BANG,
	T_ARROW,
	/* keywords, in alphabetical order (troy_keyword searches them) */
	K_ABSENT, K_AND, K_ARGS, K_AS, K_BY, K_CASE, K_CONNECT, K_CONNECTOR, K_CONST, K_COPY,
	K_CREATE, K_DEFAULT, K_DEFINE, K_DEPLOY, K_DROP, K_EACH, K_EMIT, K_END, K_ERASE, K_EVENT,
	K_FALSE, K_FLOW, K_FN, K_FOR, K_FROM, K_GROUP, K_HAVING, K_INSERT, K_INTO, K_INTRINSIC,
	K_LET, K_MATCH, K_MERGE, K_MOD, K_MOVE, K_NOT, K_NULL, K_OF, K_OPERATOR, K_OR, K_PATCH,
	K_PIPELINE, K_PRESENT, K_RECUR, K_SCRIPT, K_SELECT, K_SET, K_SLIDING, K_STATE, K_STREAM,
	K_TO, K_TRUE, K_TUMBLING, K_UPDATE, K_UPSERT, K_USE, K_WHEN, K_WHERE, K_WINDOW, K_WITH,
	K_XOR,
	T_NTOKS
};

struct troy_token {
	enum troy_tok kind;
	size_t off, end;	/* the token's bytes; end is unknown (off) for T_STR
				 * until the parser has read the string */
	const char *s;		/* T_IDENT: the name (inside backquotes when quoted) */
	size_t n;
	int heredoc;		/* T_STR: opened with """ */
	const char *msg;	/* T_BAD: what is wrong, at off */
};

/* One source text: the file name, its bytes (NUL-terminated) and the
 * offset of every line start. */
struct troy_src {
	const char *file;
	const char *text;
	size_t len;
	size_t *lines;
	size_t nlines;
};

struct troy_lexer {
	const struct troy_src *src;
	size_t pos;		/* the next byte to look at */
	char msg[64];		/* a T_BAD message made here */
};

/* Fill src->lines (n + 1 entries at most, from alloc). */
int troy_src_lines(struct troy_src *src, void *(*alloc)(void *ctx, size_t n), void *ctx);
/* 1-based line and column (in characters) of byte offset off. */
void troy_src_pos(const struct troy_src *src, size_t off, int *line, int *col);

/* Lex the token at L->pos and move past it. */
void troy_lex(struct troy_lexer *L, struct troy_token *t);

/* A token kind as messages show it: "';'", "'define'" (buf holds a
 * keyword's text: 16 bytes are enough). */
const char *troy_tok_name(enum troy_tok k, char *buf, size_t n);

/* `file:line:col: msg`, then the line of text and a caret under col (text
 * may be NULL: the first line only). Truncated to fit n. */
void troy_format_error(char *err, size_t n, const char *file, const char *text, size_t len,
		       int line, int col, const char *msg);

#endif
