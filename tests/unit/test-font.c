/*
 * Font files for reading a VM's screen: FreeBSD vt fonts (.fnt, as
 * vtfontcvt(8) writes them) and PSF, written here from known bitmaps
 * into a temporary directory and loaded with glyph_font_load.  Each
 * font is checked the way a user meets it: lines of text drawn with the
 * font's bitmaps into a frame must be read back as that text.  Broken
 * files must be refused with a message that names the file and says
 * what is wrong.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "xmalloc.h"
#include "glyph.h"
#include "tap.h"

#define NMAPS		4
#define MAP_NORMAL	0
#define MAP_NORMAL_R	1
#define MAP_BOLD	2

static char	tmpdir[256];

/* ------------------------------------------------------ a font as known */

struct tpair {
	uint32_t	cp;
	uint32_t	g;
};

/* The test's own model of a vt font: glyph bytes and four maps. */
struct tfont {
	int		 w, h;
	size_t		 stride;	/* bytes a glyph */
	size_t		 nglyphs;
	unsigned char	*bits;
	struct tpair	*pairs[NMAPS];
	size_t		 npairs[NMAPS];
};

static void
tf_init(struct tfont *tf, int w, int h)
{
	memset(tf, 0, sizeof *tf);
	tf->w = w;
	tf->h = h;
	tf->stride = (size_t)(w + 7) / 8 * h;
}

static void
tf_free(struct tfont *tf)
{
	int	i;

	free(tf->bits);
	for (i = 0; i < NMAPS; i++)
		free(tf->pairs[i]);
}

static uint32_t
tf_glyph(struct tfont *tf, const unsigned char *bytes)
{
	tf->bits = xreallocarray(tf->bits, tf->nglyphs + 1, tf->stride);
	memcpy(tf->bits + tf->nglyphs * tf->stride, bytes, tf->stride);
	return (tf->nglyphs++);
}

static void
tf_map(struct tfont *tf, int map, uint32_t cp, uint32_t g)
{
	tf->pairs[map] = xreallocarray(tf->pairs[map], tf->npairs[map] + 1,
	    sizeof *tf->pairs[map]);
	tf->pairs[map][tf->npairs[map]].cp = cp;
	tf->pairs[map][tf->npairs[map]++].g = g;
}

/* The glyph for cp: bold falls back to normal, none is glyph 0. */
static uint32_t
tf_lookup(const struct tfont *tf, int map, uint32_t cp)
{
	size_t	i;

	for (i = 0; i < tf->npairs[map]; i++)
		if (tf->pairs[map][i].cp == cp)
			return (tf->pairs[map][i].g);
	if (map == MAP_BOLD)
		return (tf_lookup(tf, MAP_NORMAL, cp));
	return (0);
}

static int
pair_cmp(const void *a, const void *b)
{
	const struct tpair	*x = a, *y = b;

	return (x->cp < y->cp ? -1 : x->cp > y->cp);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
put16(unsigned char *p, uint32_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/*
 * The file as vtfontcvt writes it: header, glyphs, then each map sorted
 * by code point, runs of consecutive code points and glyphs folded into
 * one entry whose length field is the run length minus one.
 */
static unsigned char *
tf_bytes(struct tfont *tf, size_t *lenp)
{
	struct tpair	*p;
	unsigned char	*d, *e;
	size_t		 len, i, j, nent[NMAPS], off;
	int		 m;

	len = 32 + tf->nglyphs * tf->stride;
	for (m = 0; m < NMAPS; m++) {
		if (tf->npairs[m] > 0)
			qsort(tf->pairs[m], tf->npairs[m],
			    sizeof *tf->pairs[m], pair_cmp);
		nent[m] = 0;
		for (i = 0; i < tf->npairs[m]; i = j) {
			p = tf->pairs[m];
			for (j = i + 1; j < tf->npairs[m] &&
			    p[j].cp == p[i].cp + (j - i) &&
			    p[j].g == p[i].g + (j - i); j++)
				;
			nent[m]++;
		}
		len += nent[m] * 8;
	}
	d = xcalloc(1, len);
	memcpy(d, "VFNT0002", 8);
	d[8] = tf->w;
	d[9] = tf->h;
	put32(d + 12, tf->nglyphs);
	for (m = 0; m < NMAPS; m++)
		put32(d + 16 + 4 * m, nent[m]);
	memcpy(d + 32, tf->bits, tf->nglyphs * tf->stride);
	off = 32 + tf->nglyphs * tf->stride;
	for (m = 0; m < NMAPS; m++) {
		p = tf->pairs[m];
		for (i = 0; i < tf->npairs[m]; i = j) {
			for (j = i + 1; j < tf->npairs[m] &&
			    p[j].cp == p[i].cp + (j - i) &&
			    p[j].g == p[i].g + (j - i); j++)
				;
			e = d + off;
			put32(e, p[i].cp);
			put16(e + 4, p[i].g);
			put16(e + 6, j - i - 1);
			off += 8;
		}
	}
	*lenp = len;
	return (d);
}

/* ------------------------------------------------------------ files */

static char *
tmp_path(const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", tmpdir, name);
	return (p);
}

static char *
write_file(const char *name, const void *d, size_t len)
{
	char	*path = tmp_path(name);
	FILE	*fp;

	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(d, 1, len, fp) != len || fclose(fp) != 0) {
		printf("# %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return (path);
}

/* --------------------------------------------------------------- fonts */

static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return (*s);
}

/*
 * A made-up glyph: sparse random pixels (a quarter set), never blank
 * or full, with garbage in the padding bits right of the glyph.
 */
static void
random_glyph(const struct tfont *tf, uint32_t *seed, unsigned char *out)
{
	size_t	bpr = (tf->w + 7) / 8, k;
	int	x, y, on = 0;

	do {
		memset(out, 0, tf->stride);
		on = 0;
		for (y = 0; y < tf->h; y++) {
			for (x = 0; x < tf->w; x++) {
				if ((rnd(seed) & 3) == 0) {
					out[y * bpr + x / 8] |= 0x80 >> (x % 8);
					on++;
				}
			}
			for (k = tf->w; k < bpr * 8; k++)
				out[y * bpr + k / 8] |= 0x80 >> (k % 8);
		}
	} while (on == 0 || on == tf->w * tf->h);
}

static uint8_t
mirror8(uint8_t b)
{
	uint8_t	r = 0;
	int	i;

	for (i = 0; i < 8; i++)
		if (b & (1 << i))
			r |= 0x80 >> i;
	return (r);
}

/*
 * 8x16: the Linux console's glyphs mirrored (no built-in font has
 * them), in file order: glyph 0 the fallback, printable ASCII as one run,
 * the rest backwards (one entry each); bold letters (each row smeared one
 * pixel right, as bold console fonts do) in the bold map.
 */
static void
font_8x16(struct tfont *tf)
{
	const struct glyph_font_data	*d = &glyph_data_linux_8x16;
	static const unsigned char	 fallback[16] = { 0, 0, 0x7e, 0x42,
	    0x5a, 0x5a, 0x42, 0x66, 0x66, 0x42, 0x66, 0x42, 0x7e, 0, 0, 0 };
	unsigned char			 g[16];
	size_t				 i;
	int				 y;

	tf_init(tf, 8, 16);
	tf_glyph(tf, fallback);
	for (i = 0; i < d->n; i++) {
		if (d->cps[i] < 0x20 || d->cps[i] > 0x7e)
			continue;
		for (y = 0; y < 16; y++)
			g[y] = mirror8(d->bits[i * 16 + y]);
		tf_map(tf, MAP_NORMAL, d->cps[i], tf_glyph(tf, g));
	}
	for (i = d->n; i-- > 0;) {
		if (d->cps[i] >= 0x20 && d->cps[i] <= 0x7e)
			continue;
		for (y = 0; y < 16; y++)
			g[y] = mirror8(d->bits[i * 16 + y]);
		tf_map(tf, MAP_NORMAL, d->cps[i], tf_glyph(tf, g));
	}
	for (i = 0; i < d->n; i++) {
		if (!((d->cps[i] >= 'A' && d->cps[i] <= 'Z') ||
		    (d->cps[i] >= 'a' && d->cps[i] <= 'z')))
			continue;
		for (y = 0; y < 16; y++) {
			g[y] = mirror8(d->bits[i * 16 + y]);
			g[y] |= g[y] >> 1;
		}
		tf_map(tf, MAP_BOLD, d->cps[i], tf_glyph(tf, g));
	}
}

/* A larger font of made-up glyphs: ASCII, Latin-1, box drawing, bold. */
static void
font_random(struct tfont *tf, int w, int h, uint32_t seed)
{
	static const uint32_t	 extra[] = { 0xe9, 0xfc, 0x2500, 0x2502,
	    0x250c, 0x2510, 0x2514, 0x2518, 0x2588 };
	unsigned char		*g;
	uint32_t		 cp;
	size_t			 i;

	tf_init(tf, w, h);
	g = xmalloc(tf->stride);
	random_glyph(tf, &seed, g);
	tf_glyph(tf, g);			/* the fallback */
	for (cp = 0x20; cp <= 0x7e; cp++) {
		random_glyph(tf, &seed, g);
		tf_map(tf, MAP_NORMAL, cp, tf_glyph(tf, g));
	}
	for (i = 0; i < nitems(extra); i++) {
		random_glyph(tf, &seed, g);
		tf_map(tf, MAP_NORMAL, extra[i], tf_glyph(tf, g));
	}
	for (cp = '0'; cp <= '9'; cp++) {
		random_glyph(tf, &seed, g);
		tf_map(tf, MAP_BOLD, cp, tf_glyph(tf, g));
	}
	/* U+4E00, double width: a left half and a right half. */
	random_glyph(tf, &seed, g);
	tf_map(tf, MAP_NORMAL, 0x4e00, tf_glyph(tf, g));
	random_glyph(tf, &seed, g);
	tf_map(tf, MAP_NORMAL_R, 0x4e00, tf_glyph(tf, g));
	free(g);
}

/* -------------------------------------------------------------- frames */

struct tframe {
	uint32_t	*px;
	int		 cols, rows;
	int		 width, height;
	int		 missing;	/* code points the font lacks */
};

static void
frame_init(struct tframe *fr, const struct tfont *tf, int cols, int rows)
{
	fr->cols = cols;
	fr->rows = rows;
	fr->width = cols * tf->w;
	fr->height = rows * tf->h;
	fr->px = xcalloc((size_t)fr->width * fr->height, sizeof *fr->px);
	fr->missing = 0;
}

static void
draw_glyph(struct tframe *fr, const struct tfont *tf, uint32_t g, int col,
    int row, uint32_t fg, uint32_t bg)
{
	const unsigned char	*b = tf->bits + g * tf->stride;
	size_t			 bpr = (tf->w + 7) / 8;
	uint32_t		*p;
	int			 x, y;

	for (y = 0; y < tf->h; y++) {
		p = fr->px + (size_t)(row * tf->h + y) * fr->width +
		    col * tf->w;
		for (x = 0; x < tf->w; x++)
			p[x] = (b[y * bpr + x / 8] & (0x80 >> (x % 8))) ?
			    fg : bg;
	}
}

static uint32_t
utf8_dec(const char **s)
{
	const unsigned char	*p = (const unsigned char *)*s;
	uint32_t		 cp;
	int			 n, i;

	if (p[0] < 0x80)
		n = 0, cp = p[0];
	else if (p[0] < 0xe0)
		n = 1, cp = p[0] & 0x1f;
	else if (p[0] < 0xf0)
		n = 2, cp = p[0] & 0x0f;
	else
		n = 3, cp = p[0] & 0x07;
	for (i = 1; i <= n; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	*s += n + 1;
	return (cp);
}

/* Draw UTF-8 text at (col, row) with the glyphs of a map. */
static void
draw_text(struct tframe *fr, const struct tfont *tf, int map, int col,
    int row, const char *s, uint32_t fg, uint32_t bg)
{
	uint32_t	cp, g;

	while (*s != '\0' && col < fr->cols) {
		cp = utf8_dec(&s);
		if ((g = tf_lookup(tf, map, cp)) == 0 && cp != ' ')
			fr->missing++;
		if (cp == ' ')
			g = tf_lookup(tf, MAP_NORMAL, ' ');
		draw_glyph(fr, tf, g, col++, row, fg, bg);
	}
}

/* Read the frame with one font on the grid at 0,0. */
static void
read_grid(const struct glyph_font *f, const struct tframe *fr,
    struct glyph_screen *s)
{
	struct glyph_frame	gf;

	gf.px = fr->px;
	gf.width = fr->width;
	gf.height = fr->height;
	memset(s, 0, sizeof *s);
	s->cols = fr->cols;
	s->rows = fr->rows;
	glyph_read_grid(f, &gf, 0x000000, s);
}

static void
is_row(const struct glyph_screen *s, int row, const char *want,
    const char *what)
{
	char	*got = glyph_row_text(s, row);

	is_str(got, want, "%s", what);
	free(got);
}

static struct glyph_font *
load(const char *path, const char *what)
{
	struct glyph_font	*f;
	char			*cause = NULL;

	f = glyph_font_load(path, &cause);
	ok(f != NULL, "%s loads%s%s", what, cause != NULL ? ": " : "",
	    cause != NULL ? cause : "");
	free(cause);
	return (f);
}

/* ------------------------------------------------------------- the tests */

static const char *lines_8x16[] = {
	"FreeBSD/amd64 (vm1) (ttyv0)",
	"login: root  Password: {[~|^_`]}",
	"caf\xc3\xa9 \xc3\x84\xc3\x96\xc3\x9c \xc2\xb1\xc2\xbd "
	    "\xe2\x94\x8c\xe2\x94\x80\xe2\x94\x90",
};

/* Draw the 8x16 lines: normal, bold, colours, fallback, foreign glyph. */
static void
frame_8x16(struct tframe *fr, const struct tfont *tf)
{
	size_t	i;

	frame_init(fr, tf, 40, 8);
	for (i = 0; i < nitems(lines_8x16); i++)
		draw_text(fr, tf, MAP_NORMAL, 0, i, lines_8x16[i], 0xaaaaaa,
		    0x000000);
	draw_text(fr, tf, MAP_BOLD, 0, 3, "Bold Kernel Message", 0xffffff,
	    0x000000);
	draw_text(fr, tf, MAP_NORMAL, 2, 4, "on blue", 0x55ff55, 0x0000aa);
	/* Glyph 0: what vt draws for a code point the font lacks. */
	draw_text(fr, tf, MAP_NORMAL, 0, 5, "x", 0xaaaaaa, 0);
	draw_glyph(fr, tf, 0, 1, 5, 0xaaaaaa, 0);
	draw_text(fr, tf, MAP_NORMAL, 2, 5, "y", 0xaaaaaa, 0);
}

static void
check_8x16_screen(const struct glyph_screen *s, const char *what)
{
	char	 d[128];
	size_t	 i;

	for (i = 0; i < nitems(lines_8x16); i++) {
		snprintf(d, sizeof d, "%s: line %zu read back", what, i + 1);
		is_row(s, i, lines_8x16[i], d);
	}
	snprintf(d, sizeof d, "%s: bold text read as text", what);
	is_row(s, 3, "Bold Kernel Message", d);
	snprintf(d, sizeof d, "%s: coloured cells", what);
	is_row(s, 4, "  on blue", d);
	ok(s->cells[4 * s->cols + 2].fg == 0x55ff55 &&
	    s->cells[4 * s->cols + 2].bg == 0x0000aa,
	    "%s: ... with their colours", what);
	snprintf(d, sizeof d, "%s: the fallback glyph reads as U+FFFD", what);
	is_row(s, 5, "x\xef\xbf\xbdy", d);
	is_int(s->unknown, 0, "%s: no cell unrecognised", what);
}

static void
test_8x16(void)
{
	struct tfont		 tf;
	struct tframe		 fr;
	struct glyph_screen	 s;
	struct glyph_set	*gs;
	struct glyph_frame	 gf;
	struct glyph_font	*f;
	unsigned char		*d, *g;
	char			*path;
	size_t			 len;
	uint32_t		 gb, gn;

	font_8x16(&tf);
	gn = tf_lookup(&tf, MAP_NORMAL, 'K');
	gb = tf_lookup(&tf, MAP_BOLD, 'K');
	ok(gb != gn && memcmp(tf.bits + gb * 16, tf.bits + gn * 16, 16) != 0,
	    "8x16: the bold K differs from the normal one");
	d = tf_bytes(&tf, &len);
	path = write_file("term-8x16.fnt", d, len);
	free(d);
	frame_8x16(&fr, &tf);
	is_int(fr.missing, 0, "8x16: every character drawn is in the font");
	if ((f = load(path, "8x16 .fnt")) != NULL) {
		is_str(glyph_font_name(f), "term-8x16.fnt", "8x16: font name");
		read_grid(f, &fr, &s);
		check_8x16_screen(&s, "8x16 .fnt");
		glyph_screen_free(&s);

		/* A glyph that is in no map is not read as anything. */
		g = xmalloc(16);
		memset(g, 0x81, 16);
		tf_glyph(&tf, g);
		free(g);
		draw_glyph(&fr, &tf, tf.nglyphs - 1, 0, 6, 0xaaaaaa, 0);
		read_grid(f, &fr, &s);
		ok(s.cells[6 * s.cols].cp == 0 && s.unknown == 1,
		    "8x16: a foreign glyph is unrecognised");
		glyph_screen_free(&s);
		glyph_font_free(f);
	}
	/* With the built-in fonts: the loaded one recognises most. */
	if ((f = load(path, "8x16 .fnt, again")) != NULL) {
		gs = glyph_set_new();
		glyph_set_add(gs, f);
		gf.px = fr.px;
		gf.width = fr.width;
		gf.height = fr.height;
		memset(&s, 0, sizeof s);
		is_int(glyph_read(gs, &gf, &s), 0, "glyph_read: a grid fits");
		is_str(s.font, "term-8x16.fnt",
		    "glyph_read: picks the loaded font over the built-in ones");
		is_row(&s, 0, lines_8x16[0], "glyph_read: the text");
		glyph_screen_free(&s);
		glyph_set_free(gs);
	}
	free(fr.px);
	free(path);
	tf_free(&tf);
}

/* PSF2 of the same mirrored glyphs, named .fnt: the magic decides. */
static void
test_psf(void)
{
	struct tfont		 tf;
	struct tframe		 fr;
	struct glyph_screen	 s;
	struct glyph_font	*f;
	unsigned char		 hdr[32] = { 0x72, 0xb5, 0x4a, 0x86 }, *d;
	char			*path, u[8];
	size_t			 i, len, n = 0;
	FILE			*fp;

	font_8x16(&tf);
	path = tmp_path("psf-named.fnt");
	if ((fp = fopen(path, "wb")) == NULL) {
		ok(0, "PSF2: write %s", path);
		return;
	}
	/* Glyphs of the normal map only, one code point each. */
	n = tf.npairs[MAP_NORMAL] + 1;
	hdr[8] = 32;			/* header size, little-endian */
	hdr[12] = 1;			/* a Unicode table */
	hdr[16] = n & 0xff;
	hdr[17] = n >> 8;
	hdr[20] = 16;			/* bytes a glyph */
	hdr[24] = 16;			/* height */
	hdr[28] = 8;			/* width */
	fwrite(hdr, 1, sizeof hdr, fp);
	fwrite(tf.bits, 1, 16, fp);	/* glyph 0: the fallback */
	for (i = 0; i < tf.npairs[MAP_NORMAL]; i++)
		fwrite(tf.bits + tf.pairs[MAP_NORMAL][i].g * 16, 1, 16, fp);
	fputc(0xff, fp);		/* glyph 0: no code point */
	for (i = 0; i < tf.npairs[MAP_NORMAL]; i++) {
		len = glyph_utf8(tf.pairs[MAP_NORMAL][i].cp, u);
		fwrite(u, 1, len, fp);
		fputc(0xff, fp);
	}
	fclose(fp);
	frame_init(&fr, &tf, 40, 3);
	for (i = 0; i < nitems(lines_8x16); i++)
		draw_text(&fr, &tf, MAP_NORMAL, 0, i, lines_8x16[i], 0xaaaaaa,
		    0x000000);
	if ((f = load(path, "PSF2 named .fnt")) != NULL) {
		read_grid(f, &fr, &s);
		for (i = 0; i < nitems(lines_8x16); i++)
			is_row(&s, i, lines_8x16[i], "PSF2: line read back");
		glyph_screen_free(&s);
		glyph_font_free(f);
	}
	free(path);
	/* And a vt font named .psf. */
	d = tf_bytes(&tf, &len);
	path = write_file("vt-named.psf", d, len);
	free(d);
	if ((f = load(path, "vt font named .psf")) != NULL) {
		read_grid(f, &fr, &s);
		is_row(&s, 0, lines_8x16[0], "vt font named .psf: read back");
		glyph_screen_free(&s);
		glyph_font_free(f);
	}
	free(path);
	free(fr.px);
	tf_free(&tf);
}

/*
 * Larger made-up fonts: 12x24 (rows of two bytes with padding bits),
 * 16x32 (like FreeBSD's terminus-b32.fnt), 32x32 (the widest read).
 */
static void
test_large(int w, int h, uint32_t seed)
{
	static const char	*lines[] = {
		"FreeBSD/amd64 (vm1) (ttyv0)",
		"login: root",
		"\xe2\x94\x8c\xe2\x94\x80\xe2\x94\x90 caf\xc3\xa9 "
		    "\xe2\x96\x88",
	};
	struct tfont		 tf;
	struct tframe		 fr;
	struct glyph_screen	 s;
	struct glyph_font	*f;
	unsigned char		*d;
	char			*path, *name, what[64];
	size_t			 len, i;

	snprintf(what, sizeof what, "%dx%d .fnt", w, h);
	font_random(&tf, w, h, seed);
	d = tf_bytes(&tf, &len);
	xasprintf(&name, "ter-%dx%d.fnt", w, h);
	path = write_file(name, d, len);
	free(d);
	frame_init(&fr, &tf, 32, 6);
	for (i = 0; i < nitems(lines); i++)
		draw_text(&fr, &tf, MAP_NORMAL, 0, i, lines[i], 0xaaaaaa, 0);
	draw_text(&fr, &tf, MAP_BOLD, 0, 3, "12:34", 0xffffff, 0);
	/* U+4E00: left half, then right half. */
	draw_glyph(&fr, &tf, tf_lookup(&tf, MAP_NORMAL, 0x4e00), 0, 4,
	    0xaaaaaa, 0);
	draw_glyph(&fr, &tf, tf_lookup(&tf, MAP_NORMAL_R, 0x4e00), 1, 4,
	    0xaaaaaa, 0);
	is_int(fr.missing, 0, "%s: every character drawn is in the font",
	    what);
	if ((f = load(path, what)) != NULL) {
		read_grid(f, &fr, &s);
		for (i = 0; i < nitems(lines); i++)
			is_row(&s, i, lines[i], what);
		is_row(&s, 3, "12:34", "bold digits read as digits");
		ok(s.cells[4 * s.cols].cp == 0x4e00,
		    "%s: the left half of a double-width character", what);
		ok(s.cells[4 * s.cols + 1].cp == 0,
		    "%s: its right half is not read as a character", what);
		glyph_screen_free(&s);
		glyph_font_free(f);
	}
	free(fr.px);
	free(name);
	free(path);
	tf_free(&tf);
}

/* --------------------------------------------------------- broken files */

/* A small valid font: 8x16, glyph 0 and A-Z. */
static unsigned char *
small_font(size_t *len)
{
	struct tfont	 tf;
	unsigned char	*d, g[16];
	uint32_t	 seed = 7, cp;

	tf_init(&tf, 8, 16);
	random_glyph(&tf, &seed, g);
	tf_glyph(&tf, g);
	for (cp = 'A'; cp <= 'Z'; cp++) {
		random_glyph(&tf, &seed, g);
		tf_map(&tf, MAP_NORMAL, cp, tf_glyph(&tf, g));
	}
	d = tf_bytes(&tf, len);
	tf_free(&tf);
	return (d);
}

/* Load a file of these bytes: NULL and exactly this cause (after path). */
static void
refused(const char *name, const unsigned char *d, size_t len,
    const char *want, const char *what)
{
	struct glyph_font	*f;
	char			*path, *cause = NULL, *full;

	path = write_file(name, d, len);
	f = glyph_font_load(path, &cause);
	xasprintf(&full, "%s: %s", path, want);
	ok(f == NULL, "%s: refused", what);
	is_str(cause, full, "%s: the message names the file and the fault",
	    what);
	glyph_font_free(f);
	free(cause);
	free(full);
	unlink(path);
	free(path);
}

static void
test_broken(void)
{
	unsigned char	*good, *d;
	char		*path, *cause, want[256];
	size_t		 len, n, bad;
	struct glyph_font *f;

	good = small_font(&len);
	/* 32 + 27 * 16 glyph bytes, then 1 map entry: A-Z as one run. */
	ok(len == 32 + 27 * 16 + 8, "the small font is %zu bytes", len);
	d = xmalloc(len);

	memcpy(d, good, len);
	memcpy(d, "XFNT0002", 8);
	refused("magic.fnt", d, len, "not a PSF font or a FreeBSD vt font "
	    "(.fnt)", "bad magic");
	memcpy(d, "VFNT0001", 8);
	refused("version.fnt", d, len, "not a vt font this program reads "
	    "(magic is not VFNT0002)", "another vt font version");
	refused("header.fnt", good, 20, "truncated vt font header (20 of "
	    "32 bytes)", "truncated header");
	refused("empty.fnt", good, 0, "empty file", "empty file");
	refused("cp437-8x16.fnt", (const unsigned char *)"begin 644 "
	    "cp437-8x16.fnt\nM``", 28, "uuencoded, perhaps a syscons font: "
	    "not a PSF font or a FreeBSD vt font", "a syscons font");

	memcpy(d, good, len);
	put32(d + 12, 0);
	refused("noglyphs.fnt", d, len, "no glyphs (a vt font has at least "
	    "glyph 0, the fallback)", "glyph_count 0");
	put32(d + 12, 0x7fffffff);
	refused("manyglyphs.fnt", d, len, "2147483647 glyphs: more than a vt "
	    "font may have (131072)", "glyph_count huge");
	put32(d + 12, 28);
	refused("moreglyphs.fnt", d, len, "truncated: the header promises "
	    "488 bytes (glyphs: 28, map entries: 1), the file has 472",
	    "glyph_count one more than the file has");

	memcpy(d, good, len);
	put32(d + 16, 0xffffffff);
	refused("hugemap.fnt", d, len, "normal map of 4294967295 entries: "
	    "more than a vt font may have (65536)", "map_count huge");
	memcpy(d, good, len);
	put32(d + 24, 65536);
	refused("bigmap.fnt", d, len, "truncated: the header promises 524760 "
	    "bytes (glyphs: 27, map entries: 65537), the file has 472",
	    "bold map_count larger than the file");

	memcpy(d, good, len);
	d[8] = 0;
	refused("width0.fnt", d, len, "bad vt font header: 0x16 glyphs",
	    "width 0");
	d[8] = 33;
	refused("width33.fnt", d, len, "33x16 glyphs: larger than 32x32, the "
	    "most that can be read", "width 33");
	d[8] = 8;
	d[9] = 48;
	refused("height48.fnt", d, len, "8x48 glyphs: larger than 32x32, the "
	    "most that can be read", "height 48");
	d[9] = 3;
	refused("height3.fnt", d, len, "8x3 glyphs: too small to read (at "
	    "least 4 pixels high)", "height 3");

	memcpy(d, good, len);
	refused("short.fnt", d, len - 1, "truncated: the header promises 472 "
	    "bytes (glyphs: 27, map entries: 1), the file has 471",
	    "file one byte shorter than it claims");

	/* The map entry: A (0x41), glyph 1, length 25 (A-Z). */
	ok(memcmp(good + len - 8, "\0\0\0\x41\0\x01\0\x19", 8) == 0,
	    "the map entry is A-Z as one run from glyph 1");
	memcpy(d, good, len);
	d[len - 1] = 26;
	refused("pastglyphs.fnt", d, len, "normal map, entry 0: glyphs 1 to "
	    "27, past the last glyph (26)", "map run past the glyphs");
	memcpy(d, good, len);
	put16(d + len - 4, 30);
	refused("pastglyphs2.fnt", d, len, "normal map, entry 0: glyphs 30 to "
	    "55, past the last glyph (26)", "map pointing past the glyphs");
	memcpy(d, good, len);
	put32(d + len - 8, 0x10fff0);
	refused("pastcp.fnt", d, len, "normal map, entry 0: code points past "
	    "U+10FFFF", "code points past Unicode");
	memcpy(d, good, len);
	put16(d + len - 2, 0);
	put32(d + 16, 0);
	put32(d + 24, 1);		/* only a bold map */
	put32(d + len - 8, 0x10);	/* a control character */
	refused("nochars.fnt", d, len, "no printable characters in the normal "
	    "and bold maps", "only control characters mapped");
	free(d);

	/* Two entries out of order. */
	n = len + 8;
	d = xmalloc(n);
	memcpy(d, good, len);
	put32(d + 16, 2);
	memcpy(d + len, good + len - 8, 8);	/* A-Z again: overlaps */
	refused("order.fnt", d, n, "normal map, entry 1: not in code point "
	    "order", "map entries out of order");
	free(d);

	/* Every shorter prefix is refused with the file's name. */
	bad = 0;
	for (n = 0; n < len; n++) {
		cause = NULL;
		f = glyph_font_parse("prefix.fnt", good, n, &cause);
		if (f != NULL || cause == NULL ||
		    strncmp(cause, "prefix.fnt: ", 12) != 0)
			bad++;
		glyph_font_free(f);
		free(cause);
	}
	is_int(bad, 0, "every truncation of a vt font is refused by name");

	/* PSF: a truncated header and glyphs too large. */
	refused("short.psf", (const unsigned char *)"\x72\xb5\x4a\x86\0\0",
	    6, "truncated PSF header (6 bytes)", "PSF2: truncated header");
	d = xcalloc(1, 32 + 4 * 33);
	memcpy(d, "\x72\xb5\x4a\x86", 4);
	d[8] = 32;
	d[16] = 1;
	d[20] = 4 * 33;
	d[24] = 33;
	d[28] = 32;
	refused("tall.psf", d, 32 + 4 * 33, "32x33 glyphs: larger than 32x32, "
	    "the most that can be read", "PSF2: glyphs too large");
	free(d);

	/* No such file; a huge file. */
	path = tmp_path("missing.fnt");
	cause = NULL;
	snprintf(want, sizeof want, "%s: %s", path, strerror(ENOENT));
	ok(glyph_font_load(path, &cause) == NULL, "a missing file: refused");
	is_str(cause, want, "... with the system's reason");
	free(cause);
	free(path);
	d = xcalloc(1, 8 * 1024 * 1024 + 1);
	memcpy(d, good, 32);
	refused("huge.fnt", d, 8 * 1024 * 1024 + 1, "larger than 8 MiB: not "
	    "a console font", "a file over 8 MiB");
	free(d);
	free(good);
}

/* ----------------------------------------------------------------- gzip */

static uint32_t
crc32_buf(const unsigned char *p, size_t n)
{
	uint32_t	c = 0xffffffff;
	int		k;

	while (n-- > 0) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320 & -(c & 1));
	}
	return (~c);
}

/* gzip with one stored deflate block (up to 65535 bytes). */
static unsigned char *
gzip_stored(const unsigned char *d, size_t len, size_t *outlen)
{
	unsigned char	*o;
	uint32_t	 crc = crc32_buf(d, len);
	size_t		 n = 10 + 5 + len + 8, i;

	o = xcalloc(1, n);
	o[0] = 0x1f;
	o[1] = 0x8b;
	o[2] = 8;			/* deflate */
	o[9] = 3;			/* Unix */
	o[10] = 1;			/* final block, stored */
	o[11] = len & 0xff;
	o[12] = len >> 8;
	o[13] = ~len & 0xff;
	o[14] = (~len >> 8) & 0xff;
	memcpy(o + 15, d, len);
	for (i = 0; i < 4; i++) {
		o[15 + len + i] = crc >> (8 * i);
		o[19 + len + i] = len >> (8 * i);
	}
	*outlen = n;
	return (o);
}

static void
test_gzip(void)
{
	unsigned char		*good, *gz;
	size_t			 len, gzlen;
	struct glyph_font	*f;
	char			*path;

	good = small_font(&len);
	gz = gzip_stored(good, len, &gzlen);
	path = write_file("small.fnt.gz", gz, gzlen);
	f = load(path, "a gzipped vt font (built with zlib)");
	glyph_font_free(f);
	unlink(path);
	free(path);
	refused("cut.fnt.gz", gz, gzlen - 20, "truncated gzip data",
	    "a cut gzip file");
	free(gz);
	free(good);
}

static void
cleanup(void)
{
	static const char	*names[] = { "term-8x16.fnt", "psf-named.fnt",
	    "vt-named.psf", "ter-12x24.fnt", "ter-16x32.fnt",
	    "ter-32x32.fnt" };
	char			*p;
	size_t			 i;

	for (i = 0; i < nitems(names); i++) {
		p = tmp_path(names[i]);
		unlink(p);
		free(p);
	}
	rmdir(tmpdir);
}

int
main(void)
{
	const char	*t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof tmpdir, "%s/test-font.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("# mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return (1);
	}
	test_8x16();
	test_psf();
	test_large(12, 24, 12);
	test_large(16, 32, 16);
	test_large(32, 32, 32);
	test_broken();
	test_gzip();
	cleanup();
	return (tap_done());
}
