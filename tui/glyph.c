/*
 * Text recognition: fonts as hash tables of bitmaps, the grid choice and
 * the per-cell two-colour reduction (glyph.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "xmalloc.h"
#include "glyph.h"

struct glyph_font {
	char		*name;
	int		 width;		/* cell width in pixels */
	int		 height;
	int		 cursor_rows;	/* rows a cursor inverts at the bottom */
	size_t		 n;
	uint32_t	*cps;
	uint32_t	*rows;		/* n * height, MSB-first, width bits */
	size_t		 hsize;		/* power of two */
	uint32_t	*hash;		/* glyph index + 1, 0: empty */
};

#define SET_MAXFONTS	8

struct glyph_set {
	struct glyph_font	*extra[SET_MAXFONTS];
	int			 nextra;
	struct glyph_font	*edk2;
	struct glyph_font	*vga9;
	struct glyph_font	*linux16;
	struct glyph_font	*vga8;
};

static uint32_t
glyph_hash(const uint32_t *rows, int h)
{
	uint32_t	v = 2166136261u;
	int		i;

	for (i = 0; i < h; i++) {
		v ^= rows[i];
		v *= 16777619u;
		v ^= v >> 15;
	}
	return (v);
}

/* Add glyph i to the table unless its bitmap is there already. */
static void
font_insert(struct glyph_font *f, size_t i)
{
	const uint32_t	*r = &f->rows[i * f->height];
	size_t		 k;
	uint32_t	 e;

	k = glyph_hash(r, f->height) & (f->hsize - 1);
	while ((e = f->hash[k]) != 0) {
		if (memcmp(&f->rows[(e - 1) * f->height], r,
		    f->height * sizeof *r) == 0)
			return;		/* first (lowest code point) wins */
		k = (k + 1) & (f->hsize - 1);
	}
	f->hash[k] = i + 1;
}

/* Build the hash table once cps and rows are filled in. */
static void
font_index(struct glyph_font *f)
{
	size_t	i;

	f->hsize = 64;
	while (f->hsize < f->n * 2)
		f->hsize *= 2;
	f->hash = xcalloc(f->hsize, sizeof *f->hash);
	for (i = 0; i < f->n; i++)
		font_insert(f, i);
}

/* For fonts from glyph-psf.c: takes cps and rows (allocated). */
struct glyph_font *
glyph_font_make(const char *name, int width, int height, size_t n,
    uint32_t *cps, uint32_t *rows)
{
	struct glyph_font	*f;

	f = xcalloc(1, sizeof *f);
	f->name = xstrdup(name);
	f->width = width;
	f->height = height;
	f->cursor_rows = height >= 19 ? 3 : 2;
	/* The VGA cursor sits a row higher: keep both inside the cell. */
	if (f->cursor_rows > height - 2)
		f->cursor_rows = height > 2 ? height - 2 : 0;
	f->n = n;
	f->cps = cps;
	f->rows = rows;
	font_index(f);
	return (f);
}

struct glyph_font *
glyph_font_new(const struct glyph_font_data *d, int cellw)
{
	uint32_t	*cps, *rows, r;
	size_t		 i;
	int		 y, extra = cellw - d->width;
	char		*name;
	struct glyph_font *f;

	cps = xcalloc(d->n, sizeof *cps);
	rows = xcalloc(d->n * d->height, sizeof *rows);
	for (i = 0; i < d->n; i++) {
		cps[i] = d->cps[i];
		for (y = 0; y < d->height; y++) {
			r = d->bits[i * d->height + y];
			if (extra > 0) {
				r <<= extra;
				/* VGA: line art repeats its last column. */
				if (cps[i] >= 0x2500 && cps[i] <= 0x259f &&
				    (r & (1u << extra)))
					r |= (1u << extra) - 1;
			}
			rows[i * d->height + y] = r;
		}
	}
	if (extra > 0)
		xasprintf(&name, "%.*s%dx%d", (int)(strchr(d->name, '-') -
		    d->name + 1), d->name, cellw, d->height);
	else
		name = xstrdup(d->name);
	f = glyph_font_make(name, cellw, d->height, d->n, cps, rows);
	free(name);
	return (f);
}

void
glyph_font_free(struct glyph_font *f)
{
	if (f == NULL)
		return;
	free(f->name);
	free(f->cps);
	free(f->rows);
	free(f->hash);
	free(f);
}

const char *
glyph_font_name(const struct glyph_font *f)
{
	return (f->name);
}

uint32_t
glyph_font_lookup(const struct glyph_font *f, const uint32_t *r)
{
	size_t		k;
	uint32_t	e;

	k = glyph_hash(r, f->height) & (f->hsize - 1);
	while ((e = f->hash[k]) != 0) {
		if (memcmp(&f->rows[(e - 1) * f->height], r,
		    f->height * sizeof *r) == 0)
			return (f->cps[e - 1]);
		k = (k + 1) & (f->hsize - 1);
	}
	return (0);
}

/* ---------------------------------------------------------------- cells */

/* The most common colour of the frame (sampled): the background. */
static uint32_t
frame_background(const struct glyph_frame *fr)
{
	uint32_t	keys[64], c;
	unsigned	counts[64], best = 0;
	size_t		i, n = (size_t)fr->width * fr->height, step;
	int		k, nk = 0;

	step = n / 4096 + 1;
	for (i = 0; i < n; i += step) {
		c = fr->px[i] & 0xffffff;
		for (k = 0; k < nk && keys[k] != c; k++)
			;
		if (k == nk) {
			if (nk == 64)
				continue;
			keys[nk] = c;
			counts[nk++] = 0;
		}
		counts[k]++;
	}
	c = 0;
	for (k = 0; k < nk; k++) {
		if (counts[k] > best) {
			best = counts[k];
			c = keys[k];
		}
	}
	return (c);
}

/*
 * Recognise the cell at pixel (x, y).  Returns 1 when the cell holds
 * the cursor (matched only with the cursor rows inverted).
 */
static int
cell_read(const struct glyph_font *f, const struct glyph_frame *fr, int x,
    int y, uint32_t screen_bg, struct glyph_cell *c)
{
	uint32_t	 rows[GLYPH_MAXH], cols[3] = { 0, 0, 0 }, p, mask, cp;
	unsigned	 counts[3] = { 0, 0, 0 };
	const uint32_t	*line;
	int		 i, j, k, nc = 0, h = f->height, w = f->width;

	/*
	 * Up to three colours and how often each occurs (written out here,
	 * not shared with frame_background(): this is the hot loop, and a
	 * helper through pointers made recognition 2.5 times slower).
	 */
	for (i = 0; i < h; i++) {
		line = fr->px + (size_t)(y + i) * fr->width + x;
		for (j = 0; j < w; j++) {
			p = line[j] & 0xffffff;
			for (k = 0; k < nc && cols[k] != p; k++)
				;
			if (k == nc) {
				if (nc == 3)
					continue;
				cols[nc] = p;
				counts[nc++] = 0;
			}
			counts[k]++;
		}
	}
	memset(c, 0, sizeof *c);
	if (nc == 1) {
		c->blank = 1;
		c->cp = ' ';
		c->fg = c->bg = cols[0];
		return (0);
	}
	/* Off: the screen background if the cell has it, else the most common. */
	for (k = 0; k < nc && cols[k] != screen_bg; k++)
		;
	if (k == nc) {
		k = 0;
		for (i = 1; i < nc; i++)
			if (counts[i] > counts[k])
				k = i;
	}
	c->bg = cols[k];
	c->fg = cols[k == 0 ? 1 : 0];
	for (i = 0; i < nc; i++)
		if (i != k && counts[i] > counts[k == 0 ? 1 : 0])
			c->fg = cols[i];
	for (i = 0; i < h; i++) {
		line = fr->px + (size_t)(y + i) * fr->width + x;
		rows[i] = 0;
		for (j = 0; j < w; j++)
			if ((line[j] & 0xffffff) != c->bg)
				rows[i] |= 1u << (w - 1 - j);
	}
	mask = w == 32 ? 0xffffffffu : (1u << w) - 1;
	if ((cp = glyph_font_lookup(f, rows)) != 0)
		goto found;
	/* The cursor inverts the bottom rows (EDK2: 3 of 19). */
	for (i = h - f->cursor_rows; i < h; i++)
		rows[i] ^= mask;
	if ((cp = glyph_font_lookup(f, rows)) != 0) {
		c->cp = cp;
		return (1);
	}
	/* Reverse video (a light cell with dark text), with the cursor. */
	for (i = 0; i < h; i++)
		rows[i] ^= mask;
	if ((cp = glyph_font_lookup(f, rows)) != 0) {
		p = c->fg;
		c->fg = c->bg;
		c->bg = p;
		c->cp = cp;
		return (1);
	}
	/* And without. */
	for (i = h - f->cursor_rows; i < h; i++)
		rows[i] ^= mask;
	if ((cp = glyph_font_lookup(f, rows)) != 0) {
		p = c->fg;
		c->fg = c->bg;
		c->bg = p;
		goto found;
	}
	/*
	 * VGA text mode draws its cursor one row higher: rows 13-14 of 16
	 * (the VGA BIOS's and Linux vgacon's underline), filled with the
	 * foreground, which equals inverting on the blank cell after a
	 * prompt.
	 */
	for (i = 0; i < h; i++)
		rows[i] ^= mask;
	for (i = h - f->cursor_rows - 1; i < h - 1; i++)
		rows[i] ^= mask;
	if ((cp = glyph_font_lookup(f, rows)) != 0) {
		c->cp = cp;
		return (1);
	}
	c->cp = 0;
	return (0);
found:
	c->cp = cp;
	return (0);
}

void
glyph_read_grid(const struct glyph_font *f, const struct glyph_frame *fr,
    uint32_t screen_bg, struct glyph_screen *s)
{
	size_t			 n = (size_t)s->cols * s->rows;
	struct glyph_cell	*c;
	int			 r, k;

	if (n > s->size) {
		s->cells = xreallocarray(s->cells, n, sizeof *s->cells);
		s->size = n;
	}
	s->font = f->name;
	s->cell_w = f->width;
	s->cell_h = f->height;
	s->width = fr->width;
	s->height = fr->height;
	s->cursor_row = s->cursor_col = -1;
	s->nonblank = s->unknown = 0;
	for (r = 0; r < s->rows; r++) {
		for (k = 0; k < s->cols; k++) {
			c = &s->cells[(size_t)r * s->cols + k];
			if (cell_read(f, fr, s->x0 + k * f->width,
			    s->y0 + r * f->height, screen_bg, c) &&
			    s->cursor_row == -1) {
				s->cursor_row = r;
				s->cursor_col = k;
			}
			if (!c->blank)
				s->nonblank++;
			if (c->cp == 0)
				s->unknown++;
		}
	}
	s->text = s->unknown * 4 <= s->nonblank;
}

/* ---------------------------------------------------------------- grids */

struct glyph_set *
glyph_set_new(void)
{
	struct glyph_set	*gs;

	gs = xcalloc(1, sizeof *gs);
	gs->edk2 = glyph_font_new(&glyph_data_edk2_8x19, 8);
	gs->vga9 = glyph_font_new(&glyph_data_vga_8x16, 9);
	gs->linux16 = glyph_font_new(&glyph_data_linux_8x16, 8);
	gs->vga8 = glyph_font_new(&glyph_data_vga_8x16, 8);
	return (gs);
}

void
glyph_set_add(struct glyph_set *gs, struct glyph_font *f)
{
	if (gs->nextra < SET_MAXFONTS)
		gs->extra[gs->nextra++] = f;
	else
		glyph_font_free(f);
}

void
glyph_set_free(struct glyph_set *gs)
{
	int	i;

	if (gs == NULL)
		return;
	for (i = 0; i < gs->nextra; i++)
		glyph_font_free(gs->extra[i]);
	glyph_font_free(gs->edk2);
	glyph_font_free(gs->vga9);
	glyph_font_free(gs->linux16);
	glyph_font_free(gs->vga8);
	free(gs);
}

/*
 * Set the grid of font f on the frame: at 0,0 or centred (EDK2), cols x
 * rows cells (0: as many as fit).
 */
static int
grid_set(const struct glyph_font *f, const struct glyph_frame *fr,
    int centred, int cols, int rows, struct glyph_screen *s)
{
	s->cols = cols > 0 ? cols : fr->width / f->width;
	s->rows = rows > 0 ? rows : fr->height / f->height;
	if (s->cols == 0 || s->rows == 0 || s->cols * f->width > fr->width ||
	    s->rows * f->height > fr->height)
		return (-1);
	s->x0 = centred ? (fr->width - s->cols * f->width) / 2 : 0;
	s->y0 = centred ? (fr->height - s->rows * f->height) / 2 : 0;
	return (0);
}

static void
screen_swap(struct glyph_screen *a, struct glyph_screen *b)
{
	struct glyph_screen	t = *a;

	*a = *b;
	*b = t;
}

int
glyph_read(struct glyph_set *gs, const struct glyph_frame *fr,
    struct glyph_screen *s)
{
	/*
	 * EDK2's GraphicsConsoleDxe centres its text mode (80x25, 100x31
	 * or the largest) in the frame; the others start at 0,0.  Smaller
	 * grids first: on a tie the one without empty margins wins.
	 */
	static const int	 edk2_modes[][2] = { { 80, 25 }, { 100, 31 },
	    { 0, 0 } };
	struct {
		struct glyph_font	*f;
		int			 centred;
		int			 cols, rows;
	}			 cand[SET_MAXFONTS * 2 + 8];
	struct glyph_screen	 try;
	uint32_t		 bg;
	int			 i, n = 0, best = -1, score, best_score = -1;

	bg = frame_background(fr);
	/*
	 * Every grid is tried on every frame: a grid that worked before
	 * may see only blanks now (OVMF's centred text, then Linux at 0,0
	 * in the same mode).
	 */
	memset(cand, 0, sizeof cand);
	for (i = 0; i < gs->nextra; i++) {
		cand[n++].f = gs->extra[i];
		cand[n].f = gs->extra[i];
		cand[n++].centred = 1;
	}
	for (i = 0; i < (int)nitems(edk2_modes); i++) {
		cand[n].f = gs->edk2;
		cand[n].centred = 1;
		cand[n].cols = edk2_modes[i][0];
		cand[n++].rows = edk2_modes[i][1];
	}
	if (fr->width % 9 == 0 && fr->height % 16 == 0)
		cand[n++].f = gs->vga9;
	cand[n++].f = gs->linux16;
	cand[n++].f = gs->vga8;

	memset(&try, 0, sizeof try);
	for (i = 0; i < n; i++) {
		if (grid_set(cand[i].f, fr, cand[i].centred, cand[i].cols,
		    cand[i].rows, &try) == -1)
			continue;
		glyph_read_grid(cand[i].f, fr, bg, &try);
		score = try.nonblank - try.unknown;
		if (score > best_score) {
			best_score = score;
			best = i;
			screen_swap(s, &try);
		}
	}
	glyph_screen_free(&try);
	if (best == -1)
		return (-1);
	return (0);
}

void
glyph_screen_free(struct glyph_screen *s)
{
	free(s->cells);
	s->cells = NULL;
	s->size = 0;
}

int
glyph_utf8(uint32_t cp, char *buf)
{
	if (cp < 0x80) {
		buf[0] = cp;
		return (1);
	}
	if (cp < 0x800) {
		buf[0] = 0xc0 | (cp >> 6);
		buf[1] = 0x80 | (cp & 0x3f);
		return (2);
	}
	if (cp < 0x10000) {
		buf[0] = 0xe0 | (cp >> 12);
		buf[1] = 0x80 | ((cp >> 6) & 0x3f);
		buf[2] = 0x80 | (cp & 0x3f);
		return (3);
	}
	buf[0] = 0xf0 | (cp >> 18);
	buf[1] = 0x80 | ((cp >> 12) & 0x3f);
	buf[2] = 0x80 | ((cp >> 6) & 0x3f);
	buf[3] = 0x80 | (cp & 0x3f);
	return (4);
}

char *
glyph_row_text(const struct glyph_screen *s, int row)
{
	const struct glyph_cell	*c = &s->cells[(size_t)row * s->cols];
	char			*buf;
	size_t			 len = 0, keep = 0;
	uint32_t		 cp;
	int			 k;

	buf = xmalloc((size_t)s->cols * 4 + 1);
	for (k = 0; k < s->cols; k++) {
		cp = c[k].cp != 0 ? c[k].cp : GLYPH_UNKNOWN;
		if (cp == 0xa0)
			cp = ' ';
		len += glyph_utf8(cp, buf + len);
		if (cp != ' ')
			keep = len;
	}
	buf[keep] = '\0';
	return (buf);
}
