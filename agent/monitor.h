/*
 * anlasser-monitor: one process per running VM, the hypervisor's parent.
 * It prepares the VM (driver->prepare), runs the hypervisor, restarts it
 * on guest reboot, escalates stops, holds the console, and talks to the
 * agent over RUNDIR/NAME.sock (newline JSON, see monitor.c).  It outlives
 * the agent: an agent that restarts reconnects to it.
 */
#ifndef MONITOR_H
#define MONITOR_H

#include <sys/types.h>
#include <time.h>

#include "conf.h"
#include "proto.h"

struct console;
struct event_base;
struct vm_driver;

struct mon {
	char			*name;
	char			*confdir;
	char			*rundir;
	struct agent_conf	 agent;
	struct vm_conf		*vm;		/* reloaded before each run */
	const struct vm_driver	*drv;
	struct event_base	*base;

	/* Effective values (config or the agent's allocation). */
	int			 vnc_port;
	char			*taps[VM_MAX_NICS];
	int			 tap_created[VM_MAX_NICS];
	char			*macs[VM_MAX_NICS];

	enum vm_state		 state;
	pid_t			 pid;		/* hypervisor, -1: none */
	time_t			 started;	/* wall clock, this boot */
	time_t			 spawned;	/* wall clock, this process */
	enum vm_exit		 last_exit;
	time_t			 last_exit_time;
	int			 last_status;	/* wait(2) status */
	int			 boot_fresh_vars; /* next boot: fresh vars */

	void			*drvdata;	/* driver private */
	struct console		*console;	/* console.c, NULL: none */
};

/* RUNDIR/NAME.<suffix> (new string). */
char	*mon_path(struct mon *, const char *);
/* Log a message about this VM (prefixed with its name). */
void	 mon_log(struct mon *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* The hypervisor is up and the guest runs (QEMU: after QMP connect). */
void	 mon_running(struct mon *);

#endif
