/*
 * anlasser-agent: supervises bhyve (or QEMU) VMs described by one INI file
 * each, and answers newline-delimited JSON requests on a UNIX socket.
 *
 * Each running VM has its own monitor process (anlasser-monitor), which is
 * the hypervisor's parent; the agent only talks to monitors.  So the agent
 * can exit, crash or be upgraded while every VM keeps running, and a new
 * agent picks them up again from the run directory.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

struct agent	*agent;

static const struct option agent_options[] = {
	{ "config-dir",	required_argument,	NULL, 'c' },
	{ "confdir",	required_argument,	NULL, 'c' },	/* original */
	{ "socket",	required_argument,	NULL, 's' },
	{ "socketpath",	required_argument,	NULL, 's' },	/* original */
	{ "run-dir",	required_argument,	NULL, 'r' },
	{ "log-file",	required_argument,	NULL, 'l' },
	{ "foreground",	no_argument,		NULL, 'F' },
	{ "debug",	no_argument,		NULL, 'd' },
	{ "check",	no_argument,		NULL, 'n' },
	{ "version",	no_argument,		NULL, 'V' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 }
};

static __attribute__((noreturn)) void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: anlasser-agent [-dFn] [-c config-dir] [-s socket] "
	    "[-r run-dir] [-l log-file]\n"
	    "  -c, --config-dir DIR   VM configs and anlasser.conf (%s)\n"
	    "  -s, --socket PATH      control socket (%s)\n"
	    "  -r, --run-dir DIR      runtime state (%s)\n"
	    "  -l, --log-file FILE    log to FILE instead of syslog\n"
	    "  -F, --foreground       stay in the foreground, log to stderr\n"
	    "  -d, --debug            log debug messages\n"
	    "  -n, --check            check the configuration and exit\n"
	    "      --version          print the version and exit\n",
	    CONF_DIR_DEFAULT, PROTO_SOCKET_DEFAULT, AGENT_RUNDIR_DEFAULT);
	exit(status);
}

/*
 * Reload the config directory.  On problems the running set stays as it
 * was and -1 is returned with *msg and a result holding the problems.
 */
int
agent_reload(json_t **resultp, char **msg)
{
	struct conf_problems	 problems;
	struct conf_problem	*p;
	struct conf		*conf;
	struct vm_conf		*vc, *next;
	struct vm		*vm, *vnext;
	json_t			*result, *added, *removed, *changed, *plist;
	char			*s;
	int			 n;

	conf_problems_init(&problems);
	conf = conf_load_dir(agent->confdir, &problems);
	result = json_object();
	plist = json_array();
	TAILQ_FOREACH(p, &problems, entry) {
		s = conf_problem_format(p);
		log_warnx("%s", s);
		json_array_append_new(plist, json_string(s));
		free(s);
	}
	json_object_set_new(result, PF_PROBLEMS, plist);
	if (conf == NULL) {
		n = conf_problems_count(&problems);
		xasprintf(msg, "the configuration in %s has %d problem%s; "
		    "nothing was changed (run anlasser-agent --check)",
		    agent->confdir, n, n == 1 ? "" : "s");
		log_warnx("reload refused: %s", *msg);
		conf_problems_clear(&problems);
		*resultp = result;
		return (-1);
	}
	conf_problems_clear(&problems);

	added = json_array();
	removed = json_array();
	changed = json_array();
	TAILQ_FOREACH_SAFE(vm, &agent->vms, entry, vnext) {
		if (vm_conf_find(conf, vm->name) != NULL)
			continue;
		json_array_append_new(removed, json_string(vm->name));
		if (vm->state == VM_STOPPED || vm->state == VM_FAILED) {
			json_t	*ev, *body = json_object();

			json_object_set_new(body, PF_NAME,
			    json_string(vm->name));
			ev = proto_event(PROTO_EV_REMOVED, body);
			server_broadcast(ev);
			json_decref(ev);
			vm_remove(vm);
		} else {
			log_info("%s: removed from the configuration; it "
			    "disappears once stopped", vm->name);
			vm->removed = 1;
		}
	}
	TAILQ_FOREACH_SAFE(vc, &conf->vms, entry, next) {
		TAILQ_REMOVE(&conf->vms, vc, entry);
		conf->nvms--;
		if ((vm = vm_find(vc->name)) == NULL) {
			json_t	*ev;

			vm = vm_add(vc);
			json_array_append_new(added, json_string(vm->name));
			ev = vm_event(vm, PROTO_EV_ADDED);
			server_broadcast(ev);
			json_decref(ev);
			continue;
		}
		/* A running VM takes the change at its next start. */
		vm_conf_free(vm->conf);
		vm->conf = vc;
		vm->removed = 0;
		json_array_append_new(changed, json_string(vm->name));
	}
	agent_conf_clear(&agent->conf->agent);
	conf_free(agent->conf);
	agent->conf = conf;
	server_listen(agent->socket_path, &conf->agent);
	json_object_set_new(result, "added", added);
	json_object_set_new(result, "removed", removed);
	json_object_set_new(result, "changed", changed);
	log_info("configuration reloaded: %d VMs", agent->nvms);
	*resultp = result;
	return (0);
}

static void
agent_sighup_cb(evutil_socket_t fd, short what, void *arg)
{
	json_t	*result = NULL;
	char	*msg = NULL;

	log_reopen();
	agent_reload(&result, &msg);
	json_decref(result);
	free(msg);
}

static void
agent_sigterm_cb(evutil_socket_t fd, short what, void *arg)
{
	log_info("exiting; the VMs keep running under their monitors");
	event_base_loopexit(agent->base, NULL);
}

static void
agent_sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	int	status;

	/* Monitors report through their links; just reap them. */
	while (waitpid(-1, &status, WNOHANG) > 0)
		;
}

static char *
agent_find_monitor(const char *argv0)
{
	char	*dir, *path, *slash;

	/* Next to the agent binary in the build tree, else libexecdir. */
	if ((slash = strrchr(argv0, '/')) != NULL) {
		dir = xstrndup(argv0, slash - argv0);
		xasprintf(&path, "%s/anlasser-monitor", dir);
		free(dir);
		if (access(path, X_OK) == 0)
			return (path);
		free(path);
	}
	return (xstrdup(LIBEXECDIR "/anlasser-monitor"));
}

static void
agent_daemonize(void)
{
	int	fd;

	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	setsid();
	if (chdir("/") == -1)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

int
main(int argc, char **argv)
{
	struct conf_problems	 problems;
	struct conf_problem	*p;
	struct vm_conf		*vc, *next;
	struct event		*ev_hup, *ev_term, *ev_int, *ev_chld;
	const char		*log_file = NULL;
	char			*s, real[PATH_MAX];
	int			 ch, check = 0;

	agent = xcalloc(1, sizeof *agent);
	TAILQ_INIT(&agent->vms);
	agent->confdir = CONF_DIR_DEFAULT;
	agent->socket_path = PROTO_SOCKET_DEFAULT;
	agent->rundir = AGENT_RUNDIR_DEFAULT;
	while ((ch = getopt_long(argc, argv, "c:dFhl:nr:s:", agent_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			agent->confdir = optarg;
			break;
		case 'd':
			agent->debug++;
			break;
		case 'F':
			agent->foreground = 1;
			break;
		case 'l':
			log_file = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'r':
			agent->rundir = optarg;
			break;
		case 's':
			agent->socket_path = optarg;
			break;
		case 'V':
			printf("%s\n", PACKAGE_STRING);
			return (0);
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (check)
		return (conf_check(agent->confdir, stdout));

	log_init("anlasser-agent", agent->foreground ? LOG_TO_STDERR :
	    log_file != NULL ? LOG_TO_FILE : LOG_TO_SYSLOG, log_file,
	    agent->debug);
	signal(SIGPIPE, SIG_IGN);

	conf_problems_init(&problems);
	agent->conf = conf_load_dir(agent->confdir, &problems);
	if (agent->conf == NULL) {
		TAILQ_FOREACH(p, &problems, entry) {
			s = conf_problem_format(p);
			log_warnx("%s", s);
			free(s);
		}
		fatalx("the configuration in %s has problems; fix them "
		    "(anlasser-agent --check lists them) and start again",
		    agent->confdir);
	}
	conf_problems_clear(&problems);
	if (mkdir_p(agent->rundir, 0750) == -1)
		fatal("cannot create the run directory %s", agent->rundir);
	chmod(agent->rundir, 0750);
	if (realpath(agent->rundir, real) != NULL)
		agent->rundir = xstrdup(real);
	if (realpath(agent->confdir, real) != NULL)
		agent->confdir = xstrdup(real);
	agent->monitor_path = agent_find_monitor(argv[0]);

	TAILQ_FOREACH_SAFE(vc, &agent->conf->vms, entry, next) {
		TAILQ_REMOVE(&agent->conf->vms, vc, entry);
		agent->conf->nvms--;
		vm_add(vc);
	}
	vm_alloc_load();

	if (!agent->foreground)
		agent_daemonize();
	if ((agent->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (server_listen(agent->socket_path, &agent->conf->agent) == -1)
		fatalx("cannot listen on %s", agent->socket_path);
	link_adopt_all();
	autostart_init();

	ev_hup = evsignal_new(agent->base, SIGHUP, agent_sighup_cb, NULL);
	ev_term = evsignal_new(agent->base, SIGTERM, agent_sigterm_cb, NULL);
	ev_int = evsignal_new(agent->base, SIGINT, agent_sigterm_cb, NULL);
	ev_chld = evsignal_new(agent->base, SIGCHLD, agent_sigchld_cb, NULL);
	evsignal_add(ev_hup, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_chld, NULL);
	log_info("%s: %d VMs from %s, driver %s, listening on %s",
	    PACKAGE_STRING, agent->nvms, agent->confdir,
	    agent->conf->agent.driver, agent->socket_path);

	event_base_dispatch(agent->base);

	server_close();
	return (0);
}
