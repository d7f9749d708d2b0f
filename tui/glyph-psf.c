/*
 * Font files for text recognition: reading a file (gunzipped by zlib
 * if need be), choosing the parser by the magic, and PSF console
 * fonts (Linux kbd/console-setup, psf1 and psf2).  FreeBSD vt fonts are
 * in glyph-vtfont.c.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "compat.h"
#include "xmalloc.h"
#include "glyph.h"

/* Larger than any console font (the vt kernel takes 2 MiB of glyphs). */
#define FONT_MAXSIZE	(8 * 1024 * 1024)

static uint32_t
le32(const unsigned char *p)
{
	return (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
}

/* Decode one UTF-8 sequence at *p (< end); 0xffffffff when invalid. */
static uint32_t
utf8_next(const unsigned char **p, const unsigned char *end)
{
	const unsigned char	*s = *p;
	uint32_t		 cp;
	int			 n, i;

	if (s[0] < 0x80)
		n = 0, cp = s[0];
	else if ((s[0] & 0xe0) == 0xc0)
		n = 1, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 2, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 3, cp = s[0] & 0x07;
	else {
		*p = s + 1;
		return (0xffffffff);
	}
	if (end - s < n + 1) {
		*p = end;
		return (0xffffffff);
	}
	for (i = 1; i <= n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	*p = s + n + 1;
	return (cp);
}

struct psf_build {
	size_t		 n, size;
	uint32_t	*cps;
	uint32_t	*rows;
	int		 height;
};

static void
psf_add(struct psf_build *b, uint32_t cp, const uint32_t *rows)
{
	/* Control characters are never drawn: a cell cannot show one. */
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return;
	if (b->n == b->size) {
		b->size = b->size == 0 ? 512 : b->size * 2;
		b->cps = xreallocarray(b->cps, b->size, sizeof *b->cps);
		b->rows = xreallocarray(b->rows, b->size * b->height,
		    sizeof *b->rows);
	}
	b->cps[b->n] = cp;
	memcpy(&b->rows[b->n * b->height], rows, b->height * sizeof *rows);
	b->n++;
}

void
glyph_bits_rows(const unsigned char *g, int w, int h, uint32_t *rows)
{
	int	y, x, bpr = (w + 7) / 8;

	/* Padding bits right of the glyph are ignored. */
	for (y = 0; y < h; y++) {
		rows[y] = 0;
		for (x = 0; x < w; x++)
			if (g[y * bpr + x / 8] & (0x80 >> (x % 8)))
				rows[y] |= 1u << (w - 1 - x);
	}
}

const char *
glyph_path_name(const char *path)
{
	const char	*p;

	return ((p = strrchr(path, '/')) != NULL ? p + 1 : path);
}

/* The Unicode table: one or more code points (or sequences) per glyph. */
static void
psf_table(struct psf_build *b, const unsigned char *glyphs, size_t nglyphs,
    size_t charsize, int w, int v2, const unsigned char *end)
{
	const unsigned char	*p;
	uint32_t		 rows[GLYPH_MAXH], cp;
	size_t			 i;

	p = glyphs + nglyphs * charsize;
	for (i = 0; i < nglyphs && p < end; i++) {
		glyph_bits_rows(glyphs + i * charsize, w, b->height, rows);
		for (;;) {
			if (p >= end)
				break;
			if (v2) {
				if (*p == 0xff) {
					p++;
					break;
				}
				if (*p == 0xfe) {
					/* Sequences: not one cell. */
					while (p < end && *p != 0xff)
						p++;
					continue;
				}
				cp = utf8_next(&p, end);
			} else {
				if (end - p < 2)
					break;
				cp = p[0] | p[1] << 8;
				p += 2;
				if (cp == 0xffff)
					break;
				if (cp == 0xfffe) {
					while (end - p >= 2 &&
					    (p[0] | p[1] << 8) != 0xffff)
						p += 2;
					continue;
				}
			}
			if (cp != 0xffffffff && cp != 0)
				psf_add(b, cp, rows);
		}
	}
}

struct glyph_font *
glyph_psf_parse(const char *path, const unsigned char *d, size_t len,
    char **cause)
{
	struct psf_build	 b;
	const unsigned char	*glyphs;
	uint32_t		 rows[GLYPH_MAXH], w, h;
	size_t			 nglyphs, charsize, i, hdr;
	int			 unicode, v2;

	memset(&b, 0, sizeof b);
	if ((len >= 2 && len < 4 && d[0] == 0x36 && d[1] == 0x04) ||
	    (len >= 4 && len < 32 && le32(d) == 0x864ab572)) {
		xasprintf(cause, "%s: truncated PSF header (%zu bytes)", path,
		    len);
		return (NULL);
	}
	if (len >= 4 && d[0] == 0x36 && d[1] == 0x04) {
		v2 = 0;
		w = 8;
		h = d[3];
		nglyphs = (d[2] & 0x01) ? 512 : 256;
		unicode = (d[2] & 0x06) != 0;
		hdr = 4;
		charsize = h;
	} else if (len >= 32 && le32(d) == 0x864ab572) {
		v2 = 1;
		hdr = le32(d + 8);
		unicode = le32(d + 12) & 0x01;
		nglyphs = le32(d + 16);
		charsize = le32(d + 20);
		h = le32(d + 24);
		w = le32(d + 28);
	} else {
		xasprintf(cause, "%s: not a PSF font", path);
		return (NULL);
	}
	if (w < 1 || h < 1) {
		xasprintf(cause, "%s: bad PSF header: %ux%u glyphs", path, w, h);
		return (NULL);
	}
	if (w > GLYPH_MAXW || h > GLYPH_MAXH) {
		xasprintf(cause, "%s: %ux%u glyphs: larger than %dx%d, the "
		    "most that can be read", path, w, h, GLYPH_MAXW, GLYPH_MAXH);
		return (NULL);
	}
	if (h < GLYPH_MINH) {
		xasprintf(cause, "%s: %ux%u glyphs: too small to read (at least "
		    "%d pixels high)", path, w, h, GLYPH_MINH);
		return (NULL);
	}
	if (charsize < (w + 7) / 8 * h || hdr < (v2 ? 32u : 4u)) {
		xasprintf(cause, "%s: bad PSF header: %zu bytes a glyph, "
		    "header of %zu bytes", path, charsize, hdr);
		return (NULL);
	}
	if (nglyphs == 0 || nglyphs > 65536) {
		xasprintf(cause, "%s: bad PSF header: %zu glyphs", path,
		    nglyphs);
		return (NULL);
	}
	if (hdr > len || (len - hdr) / charsize < nglyphs) {
		xasprintf(cause, "%s: truncated: %zu glyphs of %zu bytes do "
		    "not fit in %zu bytes", path, nglyphs, charsize, len);
		return (NULL);
	}
	b.height = h;
	glyphs = d + hdr;
	if (!unicode) {
		/* No table: glyph i shows code point i (Latin-1 at best). */
		for (i = 0; i < nglyphs; i++) {
			glyph_bits_rows(glyphs + i * charsize, w, h, rows);
			psf_add(&b, i == 0 ? 0xfffe : i, rows);
		}
	} else
		psf_table(&b, glyphs, nglyphs, charsize, w, v2, d + len);
	if (b.n == 0) {
		xasprintf(cause, "%s: no glyphs", path);
		free(b.cps);
		free(b.rows);
		return (NULL);
	}
	/* Glyphs sharing a bitmap: the first code point listed wins. */
	return (glyph_font_make(glyph_path_name(path), w, h, b.n, b.cps,
	    b.rows));
}

struct glyph_font *
glyph_font_parse(const char *path, const unsigned char *d, size_t len,
    char **cause)
{
	if (len == 0) {
		xasprintf(cause, "%s: empty file", path);
		return (NULL);
	}
	if (len >= 2 && d[0] == 0x1f && d[1] == 0x8b) {
		xasprintf(cause, "%s: gzip data inside gzip: gunzip it first",
		    path);
		return (NULL);
	}
	if (len >= 4 && memcmp(d, "VFNT", 4) == 0)
		return (glyph_vtfont_parse(path, d, len, cause));
	if ((len >= 2 && d[0] == 0x36 && d[1] == 0x04) ||
	    (len >= 2 && d[0] == 0x72 && d[1] == 0xb5))
		return (glyph_psf_parse(path, d, len, cause));
	if (len >= 6 && memcmp(d, "begin ", 6) == 0) {
		/* FreeBSD's syscons fonts (.fnt too) are uuencoded. */
		xasprintf(cause, "%s: uuencoded, perhaps a syscons font: not "
		    "a PSF font or a FreeBSD vt font", path);
		return (NULL);
	}
	xasprintf(cause, "%s: not a PSF font or a FreeBSD vt font (.fnt)",
	    path);
	return (NULL);
}

/* The file's bytes, gunzipped if need be (zlib reads plain files too). */
static unsigned char *
font_read(const char *path, size_t *lenp, char **cause)
{
	unsigned char	*d = NULL;
	size_t		 len = 0, size = 0;
	const char	*msg;
	gzFile		 gz;
	int		 n = 0, zerr;

	errno = 0;
	if ((gz = gzopen(path, "rb")) == NULL) {
		xasprintf(cause, "%s: %s", path, errno != 0 ? strerror(errno) :
		    "cannot open");
		return (NULL);
	}
	for (;;) {
		if (len == size) {
			if (len > FONT_MAXSIZE)
				break;
			size = size == 0 ? 65536 : size * 2;
			if (size > FONT_MAXSIZE + 1)
				size = FONT_MAXSIZE + 1;
			d = xrealloc(d, size);
		}
		if ((n = gzread(gz, d + len, size - len)) <= 0)
			break;
		len += n;
	}
	msg = gzerror(gz, &zerr);
	if (n < 0 || zerr == Z_BUF_ERROR) {
		if (zerr == Z_ERRNO)
			xasprintf(cause, "%s: %s", path, strerror(errno));
		else if (zerr == Z_BUF_ERROR)
			xasprintf(cause, "%s: truncated gzip data", path);
		else
			xasprintf(cause, "%s: bad gzip data (%s)", path, msg);
		gzclose(gz);
		free(d);
		return (NULL);
	}
	gzclose(gz);
	*lenp = len;
	return (d);
}

struct glyph_font *
glyph_font_load(const char *path, char **cause)
{
	struct glyph_font	*f;
	unsigned char		*d;
	size_t			 len;

	if ((d = font_read(path, &len, cause)) == NULL)
		return (NULL);
	if (len > FONT_MAXSIZE) {
		xasprintf(cause, "%s: larger than %d MiB: not a console font",
		    path, FONT_MAXSIZE / 1024 / 1024);
		free(d);
		return (NULL);
	}
	f = glyph_font_parse(path, d, len, cause);
	free(d);
	return (f);
}
