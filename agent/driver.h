/*
 * Hypervisor drivers.  A driver runs inside the per-VM monitor process
 * (anlasser-monitor), which is the hypervisor's parent.  One struct of
 * operations per driver, selected by the agent's `driver` setting.
 */
#ifndef DRIVER_H
#define DRIVER_H

#include "proto.h"

struct mon;

struct vm_driver {
	const char	*name;
	/*
	 * Before the first run of a monitor: check paths, copy the UEFI
	 * vars template when the vars file is missing, create taps.  On
	 * failure, undo what was done and return -1 with *cause (new
	 * string naming the VM and the problem).
	 */
	int	 (*prepare)(struct mon *, char **);
	/* The argv for one run of the hypervisor (new, NULL-terminated). */
	char	**(*argv)(struct mon *, char **);
	/* The hypervisor process was spawned (QEMU: connect QMP). */
	void	 (*spawned)(struct mon *);
	/* Ask the guest to power off (ACPI power button). */
	int	 (*shutdown)(struct mon *, char **);
	/* Power off now. */
	int	 (*poweroff)(struct mon *, char **);
	/* Hard reset (the hypervisor exits as for a reboot). */
	int	 (*reset)(struct mon *, char **);
	/* Map the hypervisor's wait status to an exit reason. */
	enum vm_exit (*exit_reason)(struct mon *, int);
	/* After the final exit: destroy taps, the kernel VM. */
	void	 (*cleanup)(struct mon *);
};

extern const struct vm_driver	driver_bhyve;
extern const struct vm_driver	driver_qemu;

const struct vm_driver	*driver_find(const char *);

/* A growing NULL-terminated argv, shared by the drivers. */
struct argv_buf {
	char	**v;
	int	  n;
};
void	argv_add(struct argv_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
