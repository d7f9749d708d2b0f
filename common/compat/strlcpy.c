#include "config.h"

#include <string.h>

#include "compat.h"

/* Copy src into dst of size dsize, always NUL-terminating; return strlen(src). */
size_t
strlcpy(char *dst, const char *src, size_t dsize)
{
	size_t	len = strlen(src);

	if (dsize != 0) {
		size_t	n = len >= dsize ? dsize - 1 : len;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return (len);
}
