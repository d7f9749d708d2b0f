/*
 * PSF console fonts (Linux kbd/console-setup, psf1 and psf2) for text
 * recognition.  Compressed files (.psf.gz) must be gunzipped first.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "xmalloc.h"
#include "glyph.h"

#define PSF_MAXSIZE	(4 * 1024 * 1024)

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

/* Rows of glyph g: each row is (w + 7) / 8 bytes, MSB left. */
static void
psf_rows(const unsigned char *g, int w, int h, uint32_t *rows)
{
	int	y, x, bpr = (w + 7) / 8;

	for (y = 0; y < h; y++) {
		rows[y] = 0;
		for (x = 0; x < w; x++)
			if (g[y * bpr + x / 8] & (0x80 >> (x % 8)))
				rows[y] |= 1u << (w - 1 - x);
	}
}

static struct glyph_font *
psf_parse(const char *path, const unsigned char *d, size_t len,
    char **cause)
{
	struct psf_build	 b;
	struct glyph_font	*f;
	const unsigned char	*p, *end = d + len, *glyphs;
	uint32_t		 rows[GLYPH_MAXH], cp;
	size_t			 nglyphs, charsize, i, hdr;
	int			 w, h, unicode, v2;
	const char		*base;

	memset(&b, 0, sizeof b);
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
		xasprintf(cause, "%s: not a PSF font (gunzip a .psf.gz first)",
		    path);
		return (NULL);
	}
	if (w < 1 || w > GLYPH_MAXW || h < 1 || h > GLYPH_MAXH ||
	    charsize < (size_t)((w + 7) / 8 * h) || nglyphs == 0 ||
	    nglyphs > 65536 || hdr > len ||
	    (len - hdr) / charsize < nglyphs) {
		xasprintf(cause, "%s: bad or unsupported PSF header (%dx%d)",
		    path, w, h);
		return (NULL);
	}
	b.height = h;
	glyphs = d + hdr;
	if (!unicode) {
		/* No table: glyph i shows code point i (Latin-1 at best). */
		for (i = 0; i < nglyphs; i++) {
			psf_rows(glyphs + i * charsize, w, h, rows);
			psf_add(&b, i == 0 ? 0xfffe : i, rows);
		}
	} else {
		p = glyphs + nglyphs * charsize;
		for (i = 0; i < nglyphs && p < end; i++) {
			psf_rows(glyphs + i * charsize, w, h, rows);
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
					psf_add(&b, cp, rows);
			}
		}
	}
	if (b.n == 0) {
		xasprintf(cause, "%s: no glyphs", path);
		free(b.cps);
		free(b.rows);
		return (NULL);
	}
	/* Glyphs sharing a bitmap: the first code point listed wins. */
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	f = glyph_font_make(base, w, h, b.n, b.cps, b.rows);
	return (f);
}

struct glyph_font *
glyph_font_load(const char *path, char **cause)
{
	struct glyph_font	*f;
	unsigned char		*d;
	size_t			 len;
	FILE			*fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	d = xmalloc(PSF_MAXSIZE);
	len = fread(d, 1, PSF_MAXSIZE, fp);
	if (ferror(fp)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		fclose(fp);
		free(d);
		return (NULL);
	}
	fclose(fp);
	f = psf_parse(path, d, len, cause);
	free(d);
	return (f);
}
