#include "troy_lex.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

static const char *const keywords[] = {
	"absent", "and", "args", "as", "by", "case", "connect", "connector", "const", "copy",
	"create", "default", "define", "deploy", "drop", "each", "emit", "end", "erase", "event",
	"false", "flow", "fn", "for", "from", "group", "having", "insert", "into", "intrinsic",
	"let", "match", "merge", "mod", "move", "not", "null", "of", "operator", "or", "patch",
	"pipeline", "present", "recur", "script", "select", "set", "sliding", "state", "stream",
	"to", "true", "tumbling", "update", "upsert", "use", "when", "where", "window", "with",
	"xor",
};

static const char *const names[K_ABSENT] = {
	[T_EOF] = "end of file", [T_BAD] = "a bad token", [T_IDENT] = "an identifier",
	[T_INT] = "an integer", [T_FLOAT] = "a float", [T_STR] = "a string",
	[T_DOC] = "a '##' doc comment", [T_MODDOC] = "a '###' module comment",
	[T_CONFIG] = "'#!config'",
	[T_COLONCOLON] = "'::'", [T_COLON] = "':'", [T_COMMA] = "','", [T_SEMI] = "';'",
	[T_ASSIGN] = "'='", [T_EQ] = "'=='", [T_NE] = "'!='", [T_LT] = "'<'", [T_LE] = "'<='",
	[T_GT] = "'>'", [T_GE] = "'>='", [T_SHL] = "'<<'", [T_SHR] = "'>>'", [T_SHRU] = "'>>>'",
	[T_PLUS] = "'+'", [T_MINUS] = "'-'", [T_STAR] = "'*'", [T_SLASH] = "'/'",
	[T_PERCENT] = "'%'", [T_LPAREN] = "'('", [T_RPAREN] = "')'", [T_LBRACK] = "'['",
	[T_RBRACK] = "']'", [T_LBRACE] = "'{'", [T_RBRACE] = "'}'", [T_DOT] = "'.'",
	[T_DOLLAR] = "'$'", [T_AMP] = "'&'", [T_CARET] = "'^'", [T_BANG] = "'!'",
	[T_ARROW] = "'=>'",
};

const char *troy_tok_name(enum troy_tok k, char *buf, size_t n)
{
	if (k < K_ABSENT)
		return names[k];
	if (k >= T_NTOKS)
		return "?";
	snprintf(buf, n, "'%s'", keywords[k - K_ABSENT]);
	return buf;
}

static enum troy_tok keyword(const char *s, size_t n)
{
	size_t lo = 0, hi = sizeof keywords / sizeof *keywords;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(keywords[mid], s, n);
		if (!c && keywords[mid][n])
			c = 1;
		if (!c)
			return (enum troy_tok)(K_ABSENT + mid);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return T_IDENT;
}

int troy_src_lines(struct troy_src *src, void *(*alloc)(void *ctx, size_t n), void *ctx)
{
	size_t i, n = 1;

	for (i = 0; i < src->len; i++)
		n += src->text[i] == '\n';
	src->lines = alloc(ctx, n * sizeof *src->lines);
	if (!src->lines)
		return -1;
	src->nlines = 0;
	src->lines[src->nlines++] = 0;
	for (i = 0; i < src->len; i++)
		if (src->text[i] == '\n')
			src->lines[src->nlines++] = i + 1;
	return 0;
}

void troy_src_pos(const struct troy_src *src, size_t off, int *line, int *col)
{
	size_t lo = 0, hi = src->nlines, i;
	int c = 1;

	if (off > src->len)
		off = src->len;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (src->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	for (i = src->lines[lo]; i < off; i++)
		c += ((unsigned char)src->text[i] & 0xc0) != 0x80;
	*line = (int)lo + 1;
	*col = c;
}

static int at(const struct troy_lexer *L, size_t i)
{
	return i < L->src->len ? (unsigned char)L->src->text[i] : -1;
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void bad(struct troy_lexer *L, struct troy_token *t, size_t off, const char *msg)
{
	t->kind = T_BAD;
	t->off = off;
	t->end = off;
	t->msg = msg;
	L->pos = off;
}

/* An unexpected character at off: its text when printable. */
static void bad_char(struct troy_lexer *L, struct troy_token *t, size_t off)
{
	char *msg = L->msg;
	const unsigned char *p = (const unsigned char *)L->src->text + off;
	size_t n = wf_utf8_seq(p, L->src->len - off);

	if (p[0] < 0x20 || p[0] == 0x7f || !n)
		snprintf(msg, sizeof L->msg, "unexpected character U+%04X", p[0]);
	else
		snprintf(msg, sizeof L->msg, "unexpected character '%.*s'", (int)n, (const char *)p);
	bad(L, t, off, msg);
}

static void number(struct troy_lexer *L, struct troy_token *t)
{
	size_t p = L->pos;

	t->kind = T_INT;
	while (is_digit(at(L, p)) || at(L, p) == '_')
		p++;
	if (at(L, p) == 'x' && p == L->pos + 1 && at(L, L->pos) == '0') {
		p++;
		if (!is_hex(at(L, p)))
			return bad(L, t, t->off, "invalid hexadecimal literal");
		while (is_hex(at(L, p)) || at(L, p) == '_')
			p++;
	} else if (at(L, p) == '.' && is_digit(at(L, p + 1))) {
		t->kind = T_FLOAT;
		p++;
		while (is_digit(at(L, p)) || at(L, p) == '_')
			p++;
		if (at(L, p) == 'e' || at(L, p) == 'E') {
			p++;
			if (at(L, p) == '+' || at(L, p) == '-')
				p++;
			if (!is_digit(at(L, p)))
				return bad(L, t, t->off, "invalid float literal");
			while (is_digit(at(L, p)) || at(L, p) == '_')
				p++;
		}
	}
	if (is_alpha(at(L, p)) || is_digit(at(L, p)))
		return bad_char(L, t, p);
	t->end = L->pos = p;
}

static enum troy_tok punct(struct troy_lexer *L, int c, size_t *len)
{
	int d = at(L, L->pos + 1);

	*len = 1;
	switch (c) {
	case ':':
		if (d == ':')
			return *len = 2, T_COLONCOLON;
		return T_COLON;
	case '=':
		if (d == '=')
			return *len = 2, T_EQ;
		if (d == '>')
			return *len = 2, T_ARROW;
		return T_ASSIGN;
	case '!':
		if (d == '=')
			return *len = 2, T_NE;
		return T_BANG;
	case '<':
		if (d == '=')
			return *len = 2, T_LE;
		if (d == '<')
			return *len = 2, T_SHL;
		return T_LT;
	case '>':
		if (d == '=')
			return *len = 2, T_GE;
		if (d == '>' && at(L, L->pos + 2) == '>')
			return *len = 3, T_SHRU;
		if (d == '>')
			return *len = 2, T_SHR;
		return T_GT;
	case ',': return T_COMMA;
	case ';': return T_SEMI;
	case '+': return T_PLUS;
	case '-': return T_MINUS;
	case '*': return T_STAR;
	case '/': return T_SLASH;
	case '%': return T_PERCENT;
	case '(': return T_LPAREN;
	case ')': return T_RPAREN;
	case '[': return T_LBRACK;
	case ']': return T_RBRACK;
	case '{': return T_LBRACE;
	case '}': return T_RBRACE;
	case '.': return T_DOT;
	case '$': return T_DOLLAR;
	case '&': return T_AMP;
	case '^': return T_CARET;
	}
	return T_BAD;
}

void troy_lex(struct troy_lexer *L, struct troy_token *t)
{
	size_t p, len;
	int c;

	memset(t, 0, sizeof *t);
	for (;;) {
		c = at(L, L->pos);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
			L->pos++;
			continue;
		}
		if (c != '#')
			break;
		p = L->pos;
		if (at(L, p + 1) == '#') {
			t->kind = at(L, p + 2) == '#' ? T_MODDOC : T_DOC;
			t->off = p;
			while (at(L, p) >= 0 && at(L, p) != '\n')
				p++;
			t->end = L->pos = p;
			return;
		}
		if (at(L, p + 1) == '!') {
			if (L->src->len - p >= 8 && !memcmp(L->src->text + p, "#!config", 8) &&
			    !is_alpha(at(L, p + 8)) && !is_digit(at(L, p + 8))) {
				t->kind = T_CONFIG;
				t->off = p;
				t->end = L->pos = p + 8;
				return;
			}
			if (p)
				return bad(L, t, p, "unexpected '#!' (only a first line may start with it)");
		}
		while (at(L, p) >= 0 && at(L, p) != '\n')
			p++;
		L->pos = p;
	}
	t->off = L->pos;
	if (c < 0) {
		t->kind = T_EOF;
		t->end = t->off;
		return;
	}
	if (is_alpha(c)) {
		p = L->pos;
		while (is_alpha(at(L, p)) || is_digit(at(L, p)))
			p++;
		t->s = L->src->text + L->pos;
		t->n = p - L->pos;
		t->kind = keyword(t->s, t->n);
		t->end = L->pos = p;
		return;
	}
	if (c == '`') {
		p = L->pos + 1;
		while (at(L, p) >= 0 && at(L, p) != '`' && at(L, p) != '\n')
			p++;
		if (at(L, p) != '`')
			return bad(L, t, t->off, "unterminated quoted identifier");
		if (p == L->pos + 1)
			return bad(L, t, t->off, "empty quoted identifier");
		t->kind = T_IDENT;
		t->s = L->src->text + L->pos + 1;
		t->n = p - L->pos - 1;
		t->end = L->pos = p + 1;
		return;
	}
	if (is_digit(c))
		return number(L, t);
	if (c == '"') {
		t->kind = T_STR;
		t->end = t->off;
		if (at(L, L->pos + 1) == '"' && at(L, L->pos + 2) == '"') {
			p = L->pos + 3;
			if (at(L, p) == '\r')
				p++;
			if (at(L, p) != '\n')
				return bad(L, t, t->off, "a heredoc's opening '\"\"\"' must end its line");
			t->heredoc = 1;
			L->pos = p + 1;
		} else {
			L->pos++;
		}
		return;
	}
	t->kind = punct(L, c, &len);
	if (t->kind == T_BAD)
		return bad_char(L, t, L->pos);
	t->end = L->pos += len;
}

struct out {
	char *p;
	size_t n, w;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->w + 1 >= o->n)
		return;
	if (n > o->n - o->w - 1)
		n = o->n - o->w - 1;
	memcpy(o->p + o->w, s, n);
	o->w += n;
	o->p[o->w] = 0;
}

void troy_format_error(char *err, size_t n, const char *file, const char *text, size_t len,
		       int line, int col, const char *msg)
{
	struct out o = { err, n, 0 };
	size_t ls = 0, le, i;
	int l, c;
	char head[64];

	if (!n)
		return;
	err[0] = 0;
	put(&o, file, strlen(file));
	snprintf(head, sizeof head, ":%d:%d: ", line, col);
	put(&o, head, strlen(head));
	put(&o, msg, strlen(msg));
	if (!text || line < 1)
		return;
	for (l = 1; l < line; l++) {
		const char *nl = memchr(text + ls, '\n', len - ls);
		if (!nl)
			return;
		ls = (size_t)(nl - text) + 1;
	}
	le = ls;
	while (le < len && text[le] != '\n')
		le++;
	if (le > ls && text[le - 1] == '\r')
		le--;
	put(&o, "\n", 1);
	put(&o, text + ls, le - ls);
	put(&o, "\n", 1);
	for (i = ls, c = 1; c < col; c++) {
		put(&o, i < le && text[i] == '\t' ? "\t" : " ", 1);
		if (i < le)
			i++;
		while (i < le && ((unsigned char)text[i] & 0xc0) == 0x80)
			i++;
	}
	put(&o, "^", 1);
}
