/*
 * anlasser-agent internals: one section of prototypes per source file.
 */
#ifndef AGENT_H
#define AGENT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <time.h>

#include <jansson.h>

#include "compat.h"
#include "conf.h"
#include "proto.h"

struct event_base;
struct jline;
struct client;

#define AGENT_RUNDIR_DEFAULT	"/var/run/anlasser"
#define AGENT_MAX_CLIENTS	1024
#define AGENT_CLIENT_OUT_MAX	(4 << 20)	/* unread replies/events */
#define AGENT_TAP_BASE		100		/* allocated taps: tap100.. */

struct waitgroup;

/* A request waiting for a VM to reach a state (start/stop with wait). */
struct waiter {
	struct client		*client;
	json_t			*id;
	enum proto_cmd		 cmd;
	struct waitgroup	*group;		/* stop-all */
	TAILQ_ENTRY(waiter)	 entry;
};
TAILQ_HEAD(waiters, waiter);

struct vm {
	char			*name;
	struct vm_conf		*conf;
	int			 removed;	/* gone from the config */

	enum vm_state		 state;
	long			 pid;		/* hypervisor */
	long			 monitor_pid;
	time_t			 started;
	enum vm_exit		 last_exit;
	time_t			 last_exit_time;
	enum vm_stop_outcome	 outcome;	/* of the last stop */
	char			*message;	/* last error */
	char			*iso_running;	/* ISO of the current boot */
	char			*waiting_for;	/* missing storage path */

	int			 vnc_port;	/* effective, -1 none */
	char			*taps[VM_MAX_NICS];
	char			*macs[VM_MAX_NICS];

	struct jline		*link;		/* to the monitor */
	struct waiters		 waiters;

	TAILQ_ENTRY(vm)		 entry;
};
TAILQ_HEAD(vms, vm);

struct agent {
	struct event_base	*base;
	char			*confdir;
	char			*rundir;
	char			*socket_path;
	char			*monitor_path;	/* anlasser-monitor */
	int			 foreground;
	int			 debug;
	struct conf		*conf;
	struct vms		 vms;
	int			 nvms;
};

extern struct agent	*agent;

/* agent.c */
int		 agent_reload(json_t **, char **);

/* server.c */
int		 server_listen(const char *, const struct agent_conf *);
void		 server_close(void);
void		 server_broadcast(const json_t *);
int		 client_send(struct client *, const json_t *);
int		 client_is_root(struct client *);
uid_t		 client_uid(struct client *);
gid_t		 client_gid(struct client *);
void		 client_subscribe(struct client *);
struct jline	*client_jline(struct client *);
void		 client_drop(struct client *);
void		 client_reply_ok(struct client *, json_t *, json_t *);
void		 client_reply_error(struct client *, json_t *,
		     enum proto_error, const char *, ...)
		     __attribute__((format(printf, 4, 5)));

/* cmd.c */
void		 cmd_dispatch(struct client *, enum proto_cmd, json_t *,
		     int);
void		 cmd_legacy(struct client *, json_t *, int);
void		 cmd_waiters_check(struct vm *);
void		 cmd_client_gone(struct client *);

/* cmd-console.c */
void		 cmd_console(struct client *, struct vm *, json_t *, json_t *);
void		 cmd_console_log(struct client *, struct vm *, json_t *,
		     json_t *);
void		 cmd_console_client_gone(struct client *);

/* cmd-create.c */
void		 cmd_create(struct client *, struct vm *, json_t *, json_t *);
void		 cmd_delete(struct client *, struct vm *, json_t *, json_t *);

/* vm.c */
struct vm	*vm_find(const char *);
struct vm	*vm_add(struct vm_conf *);
void		 vm_remove(struct vm *);
void		 vm_info_fill(struct vm *, struct vm_info *);
json_t		*vm_json(struct vm *);
json_t		*vm_event(struct vm *, const char *);
void		 vm_set_state(struct vm *, enum vm_state);
void		 vm_changed(struct vm *);
void		 vm_allocate(struct vm *);
void		 vm_alloc_load(void);
void		 vm_alloc_save(void);
const char	*vm_missing_path(struct vm *);

/* autostart.c */
void		 autostart_init(void);
void		 autostart_run(json_t *, json_t *, json_t *);
void		 autostart_forget(struct vm *);

/* link.c */
struct monitor_argv {
	char	*argv[20];
	char	 port[16];
	char	*taps;
	char	*macs;
};
void		 link_monitor_argv(struct vm *, struct monitor_argv *,
		     const char *);
void		 link_monitor_argv_free(struct monitor_argv *);
int		 link_start(struct vm *, char **);
int		 link_send(struct vm *, const char *, int);
void		 link_adopt_all(void);
void		 link_read_state(struct vm *);

/* platform-*.c */
int		 platform_peer_creds(int, uid_t *, gid_t *, pid_t *);
int		 platform_pid_alive(pid_t);	/* running, not a zombie */
void		 platform_check_shutdown_budget(void);

#endif
