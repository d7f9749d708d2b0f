/* The driver table and what drivers share. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "driver.h"

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
