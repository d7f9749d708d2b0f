/*
 * FreeBSD vt(4) console fonts (.fnt, magic VFNT0002: what vtfontcvt(8)
 * writes, vidcontrol -f and the loader load) for text recognition.
 *
 * The file, numbers big-endian: a 32-byte header (magic, width and
 * height one byte each, 2 bytes padding, the glyph count, then the entry
 * counts of four maps: normal, normal right halves, bold, bold right
 * halves), the glyphs ((width + 7) / 8 bytes a row, MSB left), then the
 * maps, 8 bytes an entry: first code point (32 bits), first glyph (16)
 * and the run length minus one (16): code points src..src+len show
 * glyphs dst..dst+len.  Each map is sorted by code point.
 *
 * Read here: the normal map, then the bold map (vtfontcvt keeps only the
 * bold glyphs that differ, so bold text is read as text too), and glyph
 * 0, which vt draws for a code point the font lacks (vtfontcvt puts the
 * U+FFFD glyph there), as U+FFFD.  The right halves of double-width
 * characters are not read: a cell holds one code point, and the left
 * half already names the character.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "xmalloc.h"
#include "glyph.h"

#define VTF_MAGIC	"VFNT0002"
#define VTF_HDRSIZE	32
#define VTF_ENTSIZE	8
#define VTF_MAPS	4
#define VTF_NORMAL	0
#define VTF_BOLD	2
/* The kernel's limits (vt_font.c): it refuses larger fonts. */
#define VTF_MAXGLYPHS	131072
#define VTF_MAXENTRIES	65536
#define VTF_MAXCP	0x10ffff

static const char *vtf_map_names[VTF_MAPS] = {
	"normal", "normal right-half", "bold", "bold right-half"
};

struct vtf_build {
	int		 width, height;
	size_t		 stride;	/* bytes a glyph */
	const unsigned char *glyphs;
	unsigned char	*seen;		/* per glyph: added already */
	size_t		 n;
	uint32_t	*cps;
	uint32_t	*rows;
};

static uint32_t
be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]);
}

static uint32_t
be16(const unsigned char *p)
{
	return (p[0] << 8 | p[1]);
}

/* Check one map as the kernel does: sorted, within the glyphs. */
static int
vtf_check_map(const char *path, const unsigned char *m, uint32_t count,
    int map, uint32_t nglyphs, char **cause)
{
	uint32_t	i, src, dst, len, last = 0;

	for (i = 0; i < count; i++, m += VTF_ENTSIZE) {
		src = be32(m);
		dst = be16(m + 4);
		len = be16(m + 6);
		if (dst + len >= nglyphs) {
			xasprintf(cause, "%s: %s map, entry %u: glyphs %u to "
			    "%u, past the last glyph (%u)", path,
			    vtf_map_names[map], i, dst, dst + len, nglyphs - 1);
			return (-1);
		}
		if (src > VTF_MAXCP || len > VTF_MAXCP - src) {
			xasprintf(cause, "%s: %s map, entry %u: code points "
			    "past U+10FFFF", path, vtf_map_names[map], i);
			return (-1);
		}
		if (i > 0 && src <= last) {
			xasprintf(cause, "%s: %s map, entry %u: not in code "
			    "point order", path, vtf_map_names[map], i);
			return (-1);
		}
		last = src + len;
	}
	return (0);
}

/* Add glyph g as code point cp unless it is there already. */
static void
vtf_add(struct vtf_build *b, uint32_t g, uint32_t cp)
{
	if (b->seen[g])
		return;
	b->seen[g] = 1;
	b->cps[b->n] = cp;
	glyph_bits_rows(b->glyphs + g * b->stride, b->width, b->height,
	    &b->rows[b->n * b->height]);
	b->n++;
}

/* The glyphs of one map, lowest code point first. */
static void
vtf_add_map(struct vtf_build *b, const unsigned char *m, uint32_t count)
{
	uint32_t	i, k, src, dst, len;

	for (i = 0; i < count; i++, m += VTF_ENTSIZE) {
		src = be32(m);
		dst = be16(m + 4);
		len = be16(m + 6);
		for (k = 0; k <= len; k++) {
			/* Control characters are never drawn. */
			if (src + k < 0x20 || (src + k >= 0x7f &&
			    src + k < 0xa0))
				continue;
			vtf_add(b, dst + k, src + k);
		}
	}
}

struct glyph_font *
glyph_vtfont_parse(const char *path, const unsigned char *d, size_t len,
    char **cause)
{
	struct vtf_build	 b;
	const unsigned char	*maps[VTF_MAPS];
	uint32_t		 nglyphs, count[VTF_MAPS];
	size_t			 need;
	int			 i;

	if (len < 4 || memcmp(d, VTF_MAGIC, 4) != 0) {
		xasprintf(cause, "%s: not a FreeBSD vt font", path);
		return (NULL);
	}
	if (len < 8 || memcmp(d, VTF_MAGIC, 8) != 0) {
		xasprintf(cause, "%s: not a vt font this program reads (magic "
		    "is not %s)", path, VTF_MAGIC);
		return (NULL);
	}
	if (len < VTF_HDRSIZE) {
		xasprintf(cause, "%s: truncated vt font header (%zu of %d "
		    "bytes)", path, len, VTF_HDRSIZE);
		return (NULL);
	}
	memset(&b, 0, sizeof b);
	b.width = d[8];
	b.height = d[9];
	nglyphs = be32(d + 12);
	for (i = 0; i < VTF_MAPS; i++)
		count[i] = be32(d + 16 + 4 * i);
	if (b.width == 0 || b.height == 0) {
		xasprintf(cause, "%s: bad vt font header: %dx%d glyphs", path,
		    b.width, b.height);
		return (NULL);
	}
	if (b.width > GLYPH_MAXW || b.height > GLYPH_MAXH) {
		xasprintf(cause, "%s: %dx%d glyphs: larger than %dx%d, the "
		    "most that can be read", path, b.width, b.height,
		    GLYPH_MAXW, GLYPH_MAXH);
		return (NULL);
	}
	if (b.height < GLYPH_MINH) {
		xasprintf(cause, "%s: %dx%d glyphs: too small to read (at "
		    "least %d pixels high)", path, b.width, b.height,
		    GLYPH_MINH);
		return (NULL);
	}
	if (nglyphs == 0) {
		xasprintf(cause, "%s: no glyphs (a vt font has at least glyph "
		    "0, the fallback)", path);
		return (NULL);
	}
	if (nglyphs > VTF_MAXGLYPHS) {
		xasprintf(cause, "%s: %u glyphs: more than a vt font may have "
		    "(%d)", path, nglyphs, VTF_MAXGLYPHS);
		return (NULL);
	}
	for (i = 0; i < VTF_MAPS; i++) {
		if (count[i] > VTF_MAXENTRIES) {
			xasprintf(cause, "%s: %s map of %u entries: more than "
			    "a vt font may have (%d)", path, vtf_map_names[i],
			    count[i], VTF_MAXENTRIES);
			return (NULL);
		}
	}
	/* All counts are bounded above: no overflow, even in 32 bits. */
	b.stride = (size_t)(b.width + 7) / 8 * b.height;
	need = VTF_HDRSIZE + nglyphs * b.stride;
	for (i = 0; i < VTF_MAPS; i++) {
		maps[i] = d + need;
		need += (size_t)count[i] * VTF_ENTSIZE;
	}
	if (len < need) {
		xasprintf(cause, "%s: truncated: the header promises %zu bytes "
		    "(glyphs: %u, map entries: %u), the file has %zu", path,
		    need, nglyphs, count[0] + count[1] + count[2] + count[3],
		    len);
		return (NULL);
	}
	for (i = 0; i < VTF_MAPS; i++)
		if (vtf_check_map(path, maps[i], count[i], i, nglyphs,
		    cause) == -1)
			return (NULL);

	b.glyphs = d + VTF_HDRSIZE;
	b.seen = xcalloc(nglyphs, 1);
	b.cps = xreallocarray(NULL, nglyphs, sizeof *b.cps);
	b.rows = xreallocarray(NULL, (size_t)nglyphs * b.height,
	    sizeof *b.rows);
	vtf_add_map(&b, maps[VTF_NORMAL], count[VTF_NORMAL]);
	vtf_add_map(&b, maps[VTF_BOLD], count[VTF_BOLD]);
	if (b.n == 0) {
		xasprintf(cause, "%s: no printable characters in the normal "
		    "and bold maps", path);
		free(b.seen);
		free(b.cps);
		free(b.rows);
		return (NULL);
	}
	vtf_add(&b, 0, 0xfffd);
	free(b.seen);
	b.cps = xreallocarray(b.cps, b.n, sizeof *b.cps);
	b.rows = xreallocarray(b.rows, b.n * b.height, sizeof *b.rows);
	/* Glyphs sharing a bitmap: the lowest normal code point wins. */
	return (glyph_font_make(glyph_path_name(path), b.width, b.height, b.n,
	    b.cps, b.rows));
}
