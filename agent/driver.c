/* The driver table and what drivers share. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "driver.h"
#include "log.h"
#include "xmalloc.h"

static const struct vm_driver *drivers[] = {
	&driver_bhyve,
	&driver_qemu,
};

const struct vm_driver *
driver_find(const char *name)
{
	size_t	i;

	if (name == NULL)
		name = DEFAULT_DRIVER;
	for (i = 0; i < sizeof drivers / sizeof drivers[0]; i++) {
		if (strcmp(drivers[i]->name, name) == 0)
			return (drivers[i]);
	}
	return (NULL);
}

/* Append one formatted argument (argv stays NULL-terminated). */
void
argv_add(struct argv_buf *a, const char *fmt, ...)
{
	va_list	ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	a->v = xreallocarray(a->v, a->n + 2, sizeof *a->v);
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}
