/*
 * create and delete: make a new VM (disk, UEFI vars unless its firmware
 * is bios, NAME.ini) or remove a stopped VM's NAME.ini.  See
 * man/anlasser-protocol.7.
 *
 * create works in steps and stops at the first problem, undoing what it
 * did: check every value with the config loader itself (the new NAME.ini
 * next to links to the other files, in a scratch directory, loaded with
 * conf_load_dir so the cross-VM checks run too), make the ZFS dataset
 * (zfs create, synchronous with a short timeout), the directory, the
 * sparse disk image (O_EXCL: an existing image is never touched), the
 * UEFI vars copy (none with firmware = bios), then NAME.ini (link(2):
 * never over an existing file), and reload.  A request for a VM that
 * exists with the same parameters answers "changed": false, so that a
 * playbook can run it twice.
 *
 * delete removes NAME.ini only: disks, vars files and datasets stay.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "proc.h"
#include "util.h"
#include "xmalloc.h"

#define CREATE_ZFS_TIMEOUT	30000		/* ms, per zfs call */
#define CREATE_DISK_MIN		(1ULL << 20)	/* 1 MiB */
#define CREATE_DISK_MAX		(1ULL << 50)	/* 1 PiB */
#define CREATE_CPUS_MAX		32		/* cpu_cores maximum */
#define CREATE_DISK_FILE	"disk0.img"
#define CREATE_VARS_FILE	"uefi-vars.fd"

struct create {
	const char		*name;
	unsigned long long	 disk_size;
	int			 memory_mb;	/* -1: the default */
	int			 sockets, cores, threads;	/* -1 */
	const char		*disk_dir;	/* request or vm_dir */
	const char		*parent;	/* zfs_dataset */
	char			*dataset;	/* parent/name */
	unsigned long long	 recordsize;	/* 0: not given */
	const char		*iso;
	const char		*bridge;	/* NULL: no network card */
	char			*mac;
	int			 mac_given;
	const char		*firmware;	/* NULL: the default */
	int			 bios;		/* no vars file */

	char			*dir;		/* disk and vars go here */
	char			*disk;
	char			*vars;		/* NULL: bios */
	char			*ini;		/* CONFDIR/NAME.ini */

	int			 made_dataset, made_dir, made_disk;
	int			 made_vars, made_ini;
};

/* ------------------------------------------------------------- values */

/* "20G", "512M", "1T", "4096": bytes.  0 or -1 with *cause. */
static int
create_size(const char *what, const char *s, unsigned long long *out,
    char **cause)
{
	unsigned long long	 v = 0, mult = 1;
	const char		*p;

	for (p = s; isdigit((unsigned char)*p); p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			goto bad;
		v = v * 10 + (*p - '0');
	}
	if (p == s)
		goto bad;
	switch (*p) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1ULL << 10;
		break;
	case 'm': case 'M':
		mult = 1ULL << 20;
		break;
	case 'g': case 'G':
		mult = 1ULL << 30;
		break;
	case 't': case 'T':
		mult = 1ULL << 40;
		break;
	default:
		goto bad;
	}
	if (*p != '\0' && p[1] != '\0')
		goto bad;
	if (v > ULLONG_MAX / mult)
		goto bad;
	*out = v * mult;
	return (0);
bad:
	xasprintf(cause, "%s \"%s\" is not a size: give bytes, or a number "
	    "with K, M, G or T (20G, 512M, 1T)", what, s);
	return (-1);
}

/*
 * A path or name that goes into NAME.ini as a value: no control
 * characters, quotes or comment characters.
 */
static int
create_ini_safe(const char *what, const char *s, char **cause)
{
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"' ||
		    *p == '\'' || *p == '#' || *p == ';') {
			xasprintf(cause, "%s \"%s\": control characters, "
			    "quotes, '#' and ';' are not allowed", what, s);
			return (-1);
		}
	}
	if (s[0] == '\0' || isspace((unsigned char)s[0]) ||
	    isspace((unsigned char)s[strlen(s) - 1])) {
		xasprintf(cause, "%s \"%s\": empty or with leading or "
		    "trailing blanks", what, s);
		return (-1);
	}
	return (0);
}

/* A ZFS dataset name: POOL[/FS...] of [A-Za-z0-9_.:-]. */
static int
create_dataset_check(const char *s, char **cause)
{
	const char	*p;
	size_t		 len = strlen(s);

	if (len == 0 || len > 200 || s[0] == '/' || s[len - 1] == '/' ||
	    strstr(s, "//") != NULL || !isalnum((unsigned char)s[0]))
		goto bad;
	for (p = s; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("_.:-/", *p) == NULL)
			goto bad;
	}
	return (0);
bad:
	xasprintf(cause, "zfs_dataset \"%s\" is not a dataset name (like "
	    "tank/vms: letters, digits, '_', '.', ':', '-', separated by "
	    "'/')", s);
	return (-1);
}

static int
arg_int(json_t *req, const char *name)
{
	json_t	*t = json_object_get(req, name);

	if (!json_is_integer(t))
		return (-1);
	if (json_integer_value(t) > INT_MAX)
		return (INT_MAX);
	return ((int)json_integer_value(t));
}

static const char *
arg_str(json_t *req, const char *name)
{
	return (json_string_value(json_object_get(req, name)));
}

/*
 * A field that becomes the key of the same name in NAME.ini, checked
 * with that key's entry of the config table (its values, its message)
 * before it goes near the file.  0 or -1 with *cause.
 */
static int
create_key_value(const char *field, const char *value, char **cause)
{
	const struct conf_key	*k;
	char			*why;

	if ((k = conf_vm_key(field)) == NULL)
		fatalx("create: %s is no key of a VM file", field);
	if ((why = conf_key_check(k, value)) == NULL)
		return (0);
	xasprintf(cause, "%s: %s", field, why);
	free(why);
	return (-1);
}

/* Read the request into cr.  0 or -1 with *cause. */
static int
create_parse(struct create *cr, json_t *req, char **cause)
{
	const char	*s;
	int		 cpus;

	memset(cr, 0, sizeof *cr);
	cr->name = arg_str(req, PF_NAME);
	if (create_size(PF_DISK_SIZE, arg_str(req, PF_DISK_SIZE),
	    &cr->disk_size, cause) == -1)
		return (-1);
	if (cr->disk_size < CREATE_DISK_MIN ||
	    cr->disk_size > CREATE_DISK_MAX || cr->disk_size % 512 != 0) {
		xasprintf(cause, "disk_size \"%s\" (%llu bytes) is out of "
		    "range: 1M to 1024T, a multiple of 512 bytes",
		    arg_str(req, PF_DISK_SIZE), cr->disk_size);
		return (-1);
	}
	cr->memory_mb = arg_int(req, PF_MEMORY_MB);
	cpus = arg_int(req, PF_CPUS);
	cr->sockets = arg_int(req, PF_SOCKETS);
	cr->cores = arg_int(req, PF_CORES);
	cr->threads = arg_int(req, PF_THREADS);
	if (cpus != -1) {
		if (cr->sockets != -1 || cr->cores != -1 ||
		    cr->threads != -1) {
			xasprintf(cause, "give either cpus or sockets, cores "
			    "and threads, not both");
			return (-1);
		}
		if (cpus < 1 || cpus > CREATE_CPUS_MAX) {
			xasprintf(cause, "cpus %d is out of range: 1 to %d "
			    "(more with sockets, cores and threads)", cpus,
			    CREATE_CPUS_MAX);
			return (-1);
		}
		cr->sockets = 1;
		cr->cores = cpus;
		cr->threads = 1;
	}
	cr->disk_dir = arg_str(req, PF_DISK_DIR);
	cr->parent = arg_str(req, PF_ZFS_DATASET);
	if (cr->disk_dir != NULL && cr->parent != NULL) {
		xasprintf(cause, "give either disk_dir or zfs_dataset, not "
		    "both");
		return (-1);
	}
	if (cr->disk_dir != NULL &&
	    create_ini_safe(PF_DISK_DIR, cr->disk_dir, cause) == -1)
		return (-1);
	if (cr->parent != NULL) {
		if (create_dataset_check(cr->parent, cause) == -1)
			return (-1);
		xasprintf(&cr->dataset, "%s/%s", cr->parent, cr->name);
	}
	if ((s = arg_str(req, PF_RECORDSIZE)) != NULL) {
		if (cr->parent == NULL) {
			xasprintf(cause, "recordsize needs zfs_dataset");
			return (-1);
		}
		if (create_size(PF_RECORDSIZE, s, &cr->recordsize,
		    cause) == -1)
			return (-1);
		if (cr->recordsize < 512 || cr->recordsize > (16 << 20) ||
		    (cr->recordsize & (cr->recordsize - 1)) != 0) {
			xasprintf(cause, "recordsize \"%s\" is not a power of "
			    "two from 512 to 16M", s);
			return (-1);
		}
	}
	cr->iso = arg_str(req, PF_ISO);
	if (cr->iso != NULL && create_ini_safe(PF_ISO, cr->iso, cause) == -1)
		return (-1);
	cr->firmware = arg_str(req, PF_FIRMWARE);
	if (cr->firmware != NULL &&
	    create_key_value(PF_FIRMWARE, cr->firmware, cause) == -1)
		return (-1);
	cr->bios = conf_firmware_bios(cr->firmware);
	cr->bridge = arg_str(req, PF_NIC_BRIDGE);
	if (cr->bridge != NULL &&
	    create_ini_safe(PF_NIC_BRIDGE, cr->bridge, cause) == -1)
		return (-1);
	if ((s = arg_str(req, PF_MAC)) != NULL) {
		if (cr->bridge == NULL) {
			xasprintf(cause, "mac needs bridge: without a bridge "
			    "the VM has no network card");
			return (-1);
		}
		if (create_ini_safe(PF_MAC, s, cause) == -1)
			return (-1);
		cr->mac = xstrdup(s);
		for (cpus = 0; cr->mac[cpus] != '\0'; cpus++)
			cr->mac[cpus] = tolower((unsigned char)cr->mac[cpus]);
		cr->mac_given = 1;
	}
	if (cr->disk_dir == NULL && cr->parent == NULL) {
		cr->disk_dir = agent->conf->agent.vm_dir;
		if (cr->disk_dir == NULL) {
			xasprintf(cause, "where should the disk go? Give "
			    "disk_dir or zfs_dataset, or set vm_dir in %s/%s",
			    agent->confdir, CONF_AGENT_FILE);
			return (-1);
		}
	}
	xasprintf(&cr->ini, "%s/%s.ini", agent->confdir, cr->name);
	return (0);
}

static void
create_free(struct create *cr)
{
	free(cr->dataset);
	free(cr->mac);
	free(cr->dir);
	free(cr->disk);
	free(cr->vars);
	free(cr->ini);
}

/* Where the disk and vars (none with bios) go, in dir. */
static void
create_set_dir(struct create *cr, const char *dir)
{
	free(cr->dir);
	free(cr->disk);
	free(cr->vars);
	cr->dir = xstrdup(dir);
	xasprintf(&cr->disk, "%s/%s", dir, CREATE_DISK_FILE);
	cr->vars = NULL;
	if (!cr->bios)
		xasprintf(&cr->vars, "%s/%s", dir, CREATE_VARS_FILE);
}

/* ---------------------------------------------------------------- zfs */

/* Run zfs with args; 0 with *out (may be NULL), or -1 with *cause. */
static int
create_zfs(char **args, char **out, char **cause)
{
	char	*argv[12], *output = NULL, *cmd;
	int	 n = 0, status;

	argv[n++] = agent->conf->agent.zfs;
	while (*args != NULL && n < 11)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (proc_run(argv, CREATE_ZFS_TIMEOUT, &output, &status,
	    cause) == -1)
		return (-1);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		cmd = proc_argv_string(argv);
		if (output != NULL)
			output[strcspn(output, "\n")] = '\0';
		xasprintf(cause, "%s: %s%s%s", cmd, proc_status_string(status),
		    output != NULL && *output != '\0' ? ": " : "",
		    output != NULL ? output : "");
		free(cmd);
		free(output);
		return (-1);
	}
	if (out != NULL)
		*out = output;
	else
		free(output);
	return (0);
}

/* The mountpoint of a dataset (new string), or NULL with *cause. */
static char *
create_zfs_mountpoint(const char *ds, char **cause)
{
	char	*args[] = { "get", "-H", "-o", "value", "mountpoint",
		    (char *)ds, NULL };
	char	*out = NULL;

	if (create_zfs(args, &out, cause) == -1)
		return (NULL);
	if (out == NULL)
		out = xstrdup("");
	out[strcspn(out, "\n")] = '\0';
	if (out[0] != '/') {
		xasprintf(cause, "dataset %s has mountpoint \"%s\", not a "
		    "directory: set a mountpoint on it (or its parent)", ds,
		    out);
		free(out);
		return (NULL);
	}
	return (out);
}

/* ---------------------------------------------------------- validation */

/* NAME.ini's text for cr. */
static char *
create_ini_text(struct create *cr)
{
	char		*s, *t, when[64];
	time_t		 now = time(NULL);

	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	xasprintf(&s, "# Created by %s (create) on %s.\n[VM]\nname = %s\n",
	    PACKAGE_NAME, when, cr->name);
	if (cr->memory_mb != -1) {
		xasprintf(&t, "%smemory_mb = %d\n", s, cr->memory_mb);
		free(s);
		s = t;
	}
	if (cr->sockets != -1 || cr->cores != -1 || cr->threads != -1) {
		xasprintf(&t, "%scpu_sockets = %d\ncpu_cores = %d\n"
		    "cpu_threads = %d\n", s, cr->sockets != -1 ? cr->sockets :
		    1, cr->cores != -1 ? cr->cores : 1,
		    cr->threads != -1 ? cr->threads : 1);
		free(s);
		s = t;
	}
	if (cr->firmware != NULL) {
		xasprintf(&t, "%sfirmware = %s\n", s, cr->firmware);
		free(s);
		s = t;
	}
	xasprintf(&t, "%sstorage_path = %s\n", s, cr->disk);
	free(s);
	s = t;
	if (cr->vars != NULL) {
		xasprintf(&t, "%suefi_vars_storage_path = %s\n", s, cr->vars);
		free(s);
		s = t;
	}
	if (cr->bridge != NULL) {
		xasprintf(&t, "%sbridge = %s\nmac = %s\n", s, cr->bridge,
		    cr->mac);
		free(s);
		s = t;
	}
	if (cr->iso != NULL) {
		xasprintf(&t, "%siso_path = %s\n", s, cr->iso);
		free(s);
		s = t;
	}
	return (s);
}

/* Remove a scratch directory and the files in it. */
static void
create_rmtree(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*p;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			xasprintf(&p, "%s/%s", dir, de->d_name);
			unlink(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* Link every file of the config directory but skip into tmp. */
static int
create_link_conf(const char *tmp, const char *skip, char **cause)
{
	char		 real[PATH_MAX], *from, *to;
	DIR		*d;
	struct dirent	*de;
	size_t		 len;
	int		 rc = 0;

	if (realpath(agent->confdir, real) == NULL ||
	    (d = opendir(real)) == NULL) {
		xasprintf(cause, "%s: %s", agent->confdir, strerror(errno));
		return (-1);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || strcmp(de->d_name, skip) == 0 ||
		    (strcmp(de->d_name, CONF_AGENT_FILE) != 0 && (len <= 4 ||
		    strcmp(de->d_name + len - 4, ".ini") != 0)))
			continue;
		xasprintf(&from, "%s/%s", real, de->d_name);
		xasprintf(&to, "%s/%s", tmp, de->d_name);
		if (symlink(from, to) == -1) {
			xasprintf(cause, "%s: %s", to, strerror(errno));
			rc = -1;
		}
		free(from);
		free(to);
	}
	closedir(d);
	return (rc);
}

/*
 * Check cr's NAME.ini with the loader, together with every other file
 * of the config directory (NAME.ini itself left out: the new one takes
 * its place).  Returns the loaded VM (the caller frees it), or NULL with
 * *cause and, when the loader found problems, *problems (array).
 */
static struct vm_conf *
create_validate(struct create *cr, json_t **problems, char **cause)
{
	struct conf_problems	 ps;
	struct conf_problem	*p;
	struct conf		*conf;
	struct vm_conf		*vc = NULL;
	char			*tmp, *base, *path, *text, *s;
	size_t			 tlen;

	*problems = NULL;
	xasprintf(&tmp, "%s/create.XXXXXX", agent->rundir);
	if (mkdtemp(tmp) == NULL) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return (NULL);
	}
	xasprintf(&base, "%s.ini", cr->name);
	xasprintf(&path, "%s/%s", tmp, base);
	text = create_ini_text(cr);
	if (create_link_conf(tmp, base, cause) == -1 ||
	    write_file_atomic(path, text, strlen(text), 0600) == -1) {
		if (*cause == NULL)
			xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	conf_problems_init(&ps);
	if ((conf = conf_load_dir(tmp, &ps)) == NULL) {
		*problems = json_array();
		tlen = strlen(tmp);
		TAILQ_FOREACH(p, &ps, entry) {
			if (p->file != NULL && strncmp(p->file, tmp,
			    tlen) == 0) {
				xasprintf(&s, "%s%s", agent->confdir,
				    p->file + tlen);
				free(p->file);
				p->file = s;
			}
			s = conf_problem_format(p);
			json_array_append_new(*problems, proto_json_string(s));
			free(s);
		}
		/* Say first what is wrong with the new file itself. */
		xasprintf(&s, "%s/%s", agent->confdir, base);
		TAILQ_FOREACH(p, &ps, entry) {
			if (p->file != NULL && strcmp(p->file, s) == 0)
				break;
		}
		free(s);
		if (p == NULL)
			p = TAILQ_FIRST(&ps);
		s = p != NULL && p->file != NULL ? strrchr(p->file, '/') :
		    NULL;
		xasprintf(cause, "%s: the new VM would not load: %s%s%s%s%s%s",
		    cr->name, s != NULL && strcmp(s + 1, base) != 0 ?
		    s + 1 : "", s != NULL && strcmp(s + 1, base) != 0 ?
		    ": " : "", p != NULL && p->key != NULL ? p->key : "",
		    p != NULL && p->key != NULL ? ": " : "",
		    p != NULL ? p->msg : "invalid configuration",
		    conf_problems_count(&ps) > 1 ? " (and more problems)" :
		    "");
		conf_problems_clear(&ps);
		goto out;
	}
	conf_problems_clear(&ps);
	if ((vc = vm_conf_find(conf, cr->name)) != NULL) {
		TAILQ_REMOVE(&conf->vms, vc, entry);
		conf->nvms--;
	} else
		xasprintf(cause, "%s: the loader did not find the new VM",
		    cr->name);
	conf_free(conf);
out:
	create_rmtree(tmp);
	free(text);
	free(path);
	free(base);
	free(tmp);
	return (vc);
}

/* Is this MAC used by another VM (configured or allocated)? */
static struct vm *
create_mac_user(const char *mac, const char *self)
{
	struct vm	*vm;
	int		 i;

	TAILQ_FOREACH(vm, &agent->vms, entry) {
		if (strcmp(vm->name, self) == 0)
			continue;
		for (i = 0; i < VM_MAX_NICS; i++) {
			if ((vm->conf->nics[i].mac != NULL &&
			    strcasecmp(vm->conf->nics[i].mac, mac) == 0) ||
			    (vm->macs[i] != NULL &&
			    strcasecmp(vm->macs[i], mac) == 0))
				return (vm);
		}
	}
	return (NULL);
}

/*
 * A free, stable, locally administered MAC: the one the agent would
 * allocate for NIC 0 of this name (vm.c: 02:a1:..., salted until free).
 */
static char *
create_pick_mac(const char *name)
{
	unsigned int	 h = 2166136261u, salt, v;
	const char	*p;
	char		*mac;

	for (p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0u) * 16777619u;
	for (salt = 0; ; salt++) {
		v = (h ^ salt) * 16777619u;
		xasprintf(&mac, "02:a1:%02x:%02x:%02x:%02x", (v >> 24) & 0xff,
		    (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
		if (create_mac_user(mac, name) == NULL)
			return (mac);
		free(mac);
	}
}

/* ---------------------------------------------------------------- undo */

static void
create_undo(struct create *cr)
{
	char	*args[] = { "destroy", cr->dataset, NULL }, *cause = NULL;

	if (cr->made_ini && unlink(cr->ini) == -1)
		log_warn("create %s: undo: %s", cr->name, cr->ini);
	if (cr->made_vars && unlink(cr->vars) == -1)
		log_warn("create %s: undo: %s", cr->name, cr->vars);
	if (cr->made_disk && unlink(cr->disk) == -1)
		log_warn("create %s: undo: %s", cr->name, cr->disk);
	if (cr->made_dir && rmdir(cr->dir) == -1)
		log_warn("create %s: undo: %s", cr->name, cr->dir);
	if (cr->made_dataset && create_zfs(args, NULL, &cause) == -1) {
		log_warnx("create %s: undo: %s", cr->name, cause);
		free(cause);
	}
	cr->made_ini = cr->made_vars = cr->made_disk = cr->made_dir = 0;
	cr->made_dataset = 0;
}

/* ------------------------------------------------------------ the steps */

static int
create_disk(struct create *cr, char **cause)
{
	int	fd;

	fd = open(cr->disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		xasprintf(cause, "disk image %s: %s%s", cr->disk,
		    strerror(errno), errno == EEXIST ? " (an existing image "
		    "is never overwritten)" : "");
		return (-1);
	}
	cr->made_disk = 1;
	if (ftruncate(fd, (off_t)cr->disk_size) == -1) {
		xasprintf(cause, "disk image %s: cannot make it %llu bytes: "
		    "%s", cr->disk, cr->disk_size, strerror(errno));
		close(fd);
		return (-1);
	}
	if (close(fd) == -1) {
		xasprintf(cause, "disk image %s: %s", cr->disk,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* NAME.ini, never over an existing file: temp file, fsync, link. */
static int
create_write_ini(struct create *cr, char **cause)
{
	char	*tmp, *text;
	size_t	 len;
	int	 fd, rc = -1;

	text = create_ini_text(cr);
	len = strlen(text);
	xasprintf(&tmp, "%s/.%s.ini.XXXXXX", agent->confdir, cr->name);
	if ((fd = mkstemp(tmp)) == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0644) == -1 || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd) == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (link(tmp, cr->ini) == -1) {
		xasprintf(cause, "%s: %s%s", cr->ini, strerror(errno),
		    errno == EEXIST ? " (an existing file is never "
		    "overwritten)" : "");
		unlink(tmp);
		goto out;
	}
	unlink(tmp);
	cr->made_ini = 1;
	rc = 0;
out:
	free(text);
	free(tmp);
	return (rc);
}

/* The reply: the VM and what is where. */
static json_t *
create_result(struct create *cr, struct vm *vm, int changed)
{
	json_t	*o, *a;

	o = json_object();
	json_object_set_new(o, PF_NAME, json_string(cr->name));
	json_object_set_new(o, PF_CHANGED, json_boolean(changed));
	json_object_set_new(o, PF_STATE,
	    json_string(proto_state_name(vm->state)));
	json_object_set_new(o, PF_INI_FILE, proto_json_string(vm->conf->file));
	json_object_set_new(o, "disk", proto_json_string(vm->conf->disks[0]));
	json_object_set_new(o, "uefi_vars",
	    proto_json_string(vm->conf->uefi_vars));
	json_object_set_new(o, PF_MAC, vm->conf->nnics > 0 ?
	    proto_json_string(vm->conf->nics[0].mac != NULL ?
	    vm->conf->nics[0].mac : vm->macs[0]) : json_null());
	if (cr->dataset != NULL)
		json_object_set_new(o, PF_ZFS_DATASET,
		    proto_json_string(cr->dataset));
	a = json_array();
	if (changed) {
		if (cr->made_dir)
			json_array_append_new(a, proto_json_string(cr->dir));
		json_array_append_new(a, proto_json_string(cr->disk));
		if (cr->vars != NULL)
			json_array_append_new(a, proto_json_string(cr->vars));
		json_array_append_new(a, proto_json_string(cr->ini));
	}
	json_object_set_new(o, PF_CREATED, a);
	json_object_set_new(o, PF_VM, vm_json(vm));
	return (o);
}

/* Does the existing VM match the request?  NULL, or what differs. */
static char *
create_differs(struct create *cr, struct vm *vm, struct vm_conf *want)
{
	struct vm_conf	*have = vm->conf;
	struct stat	 sb;
	char		*s = NULL;

	if (have->memory_mb != want->memory_mb)
		xasprintf(&s, "memory_mb is %d, not %d", have->memory_mb,
		    want->memory_mb);
	else if (vm_conf_bios(have) != vm_conf_bios(want))
		xasprintf(&s, "its firmware is %s, not %s", have->firmware,
		    want->firmware);
	else if (have->cpu_sockets != want->cpu_sockets ||
	    have->cpu_cores != want->cpu_cores ||
	    have->cpu_threads != want->cpu_threads)
		xasprintf(&s, "it has %d socket(s) x %d core(s) x %d "
		    "thread(s), not %d x %d x %d", have->cpu_sockets,
		    have->cpu_cores, have->cpu_threads, want->cpu_sockets,
		    want->cpu_cores, want->cpu_threads);
	else if (strcmp(have->disks[0], want->disks[0]) != 0)
		xasprintf(&s, "its disk is %s, not %s", have->disks[0],
		    want->disks[0]);
	else if (stat(have->disks[0], &sb) == -1)
		xasprintf(&s, "its disk %s: %s", have->disks[0],
		    strerror(errno));
	else if (S_ISREG(sb.st_mode) &&
	    (unsigned long long)sb.st_size != cr->disk_size)
		xasprintf(&s, "its disk is %lld bytes, not %llu",
		    (long long)sb.st_size, cr->disk_size);
	else if (cr->iso != NULL && (have->iso_path == NULL ||
	    strcmp(have->iso_path, cr->iso) != 0))
		xasprintf(&s, "its ISO is %s, not %s", have->iso_path != NULL ?
		    have->iso_path : "none", cr->iso);
	else if ((cr->bridge == NULL) != (have->nnics == 0) ||
	    (cr->bridge != NULL && (have->nics[0].bridge == NULL ||
	    strcmp(have->nics[0].bridge, cr->bridge) != 0)))
		xasprintf(&s, "its network card is %s%s, not %s%s",
		    have->nnics == 0 ? "none" : "on bridge ",
		    have->nnics == 0 ? "" : have->nics[0].bridge != NULL ?
		    have->nics[0].bridge : "(none)",
		    cr->bridge == NULL ? "none" : "on bridge ",
		    cr->bridge == NULL ? "" : cr->bridge);
	else if (cr->mac_given && (have->nics[0].mac == NULL ||
	    strcasecmp(have->nics[0].mac, cr->mac) != 0))
		xasprintf(&s, "its MAC is %s, not %s", have->nics[0].mac !=
		    NULL ? have->nics[0].mac : "picked by the agent", cr->mac);
	return (s);
}

static void
create_reply_invalid(struct client *c, json_t *id, json_t *problems,
    const char *msg)
{
	json_t	*r;

	r = proto_reply_error(id, ERR_INVALID_CONFIG, "%s", msg);
	if (problems != NULL)
		json_object_set(json_object_get(r, PF_ERROR), PF_PROBLEMS,
		    problems);
	client_send(c, r);
	json_decref(r);
}

/* Where the disk would go before anything exists. */
static int
create_plan_dir(struct create *cr, struct vm *vm, char **cause)
{
	char	*mp, *dir;

	if (cr->parent == NULL) {
		xasprintf(&dir, "%s/%s", cr->disk_dir, cr->name);
		create_set_dir(cr, dir);
		free(dir);
		return (0);
	}
	/* An existing VM: its dataset's mountpoint, when there is one. */
	if (vm != NULL && (mp = create_zfs_mountpoint(cr->dataset,
	    cause)) != NULL) {
		create_set_dir(cr, mp);
		free(mp);
		return (0);
	}
	free(*cause);
	*cause = NULL;
	/* A new dataset: under its parent's mountpoint (checked again). */
	if ((mp = create_zfs_mountpoint(cr->parent, cause)) == NULL)
		return (-1);
	xasprintf(&dir, "%s/%s", mp, cr->name);
	create_set_dir(cr, dir);
	free(dir);
	free(mp);
	return (0);
}

void
cmd_create(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	struct create	 cr;
	struct vm_conf	*want = NULL;
	struct vm	*other;
	json_t		*problems = NULL, *result = NULL;
	char		*cause = NULL, *msg = NULL, *mp;
	char		*zargs[6];
	int		 n;
	enum proto_error err = ERR_FAILED;

	if (!client_is_root(c)) {
		client_reply_error(c, id, ERR_PERMISSION, "create: only root "
		    "may create VMs (it makes files and datasets anywhere)");
		return;
	}
	if (create_parse(&cr, req, &cause) == -1) {
		err = ERR_BAD_ARGUMENT;
		goto fail;
	}
	if (vm == NULL && path_exists(cr.ini)) {
		xasprintf(&cause, "%s exists but is not a loaded VM (fix or "
		    "remove it; anlasser-agent --check shows its problems)",
		    cr.ini);
		goto fail;
	}
	if (create_plan_dir(&cr, vm, &cause) == -1)
		goto fail;
	if (cr.mac_given && (other = create_mac_user(cr.mac,
	    cr.name)) != NULL) {
		xasprintf(&cause, "mac %s is used by VM %s", cr.mac,
		    other->name);
		err = ERR_BAD_ARGUMENT;
		goto fail;
	}
	if (!cr.mac_given && cr.bridge != NULL)
		cr.mac = vm != NULL && vm->conf->nics[0].mac != NULL ?
		    xstrdup(vm->conf->nics[0].mac) : create_pick_mac(cr.name);
	if ((want = create_validate(&cr, &problems, &cause)) == NULL) {
		if (problems != NULL) {
			create_reply_invalid(c, id, problems, cause);
			goto out;
		}
		goto fail;
	}

	/* It exists: the same VM is no change, a different one an error. */
	if (vm != NULL) {
		if ((msg = create_differs(&cr, vm, want)) != NULL) {
			xasprintf(&cause, "a different VM named %s exists: "
			    "%s (delete it first, or change the request)",
			    cr.name, msg);
			err = ERR_BAD_ARGUMENT;
			goto fail;
		}
		client_reply_ok(c, id, create_result(&cr, vm, 0));
		goto out;
	}
	if (path_exists(cr.disk) || (cr.vars != NULL &&
	    path_exists(cr.vars))) {
		xasprintf(&cause, "%s exists: create never overwrites an "
		    "image (move it away, or attach it to a VM by hand)",
		    path_exists(cr.disk) ? cr.disk : cr.vars);
		goto fail;
	}

	/* The dataset, then everything inside its mountpoint. */
	if (cr.dataset != NULL) {
		n = 0;
		zargs[n++] = "create";
		if (cr.recordsize != 0) {
			zargs[n++] = "-o";
			xasprintf(&zargs[n++], "recordsize=%llu",
			    cr.recordsize);
		}
		zargs[n++] = cr.dataset;
		zargs[n] = NULL;
		if (create_zfs(zargs, NULL, &cause) == -1) {
			if (cr.recordsize != 0)
				free(zargs[2]);
			goto fail;
		}
		if (cr.recordsize != 0)
			free(zargs[2]);
		cr.made_dataset = 1;
		log_info("create %s: dataset %s", cr.name, cr.dataset);
		if ((mp = create_zfs_mountpoint(cr.dataset, &cause)) == NULL)
			goto fail;
		if (strcmp(mp, cr.dir) != 0) {
			create_set_dir(&cr, mp);
			vm_conf_free(want);
			if ((want = create_validate(&cr, &problems,
			    &cause)) == NULL) {
				free(mp);
				create_undo(&cr);
				if (problems != NULL) {
					create_reply_invalid(c, id, problems,
					    cause);
					goto out;
				}
				goto fail;
			}
		}
		free(mp);
	} else {
		if (mkdir(cr.dir, 0755) == 0)
			cr.made_dir = 1;
		else if (errno != EEXIST) {
			xasprintf(&cause, "%s: %s", cr.dir, strerror(errno));
			goto fail;
		}
	}
	if (create_disk(&cr, &cause) == -1)
		goto fail;
	if (cr.vars != NULL && copy_file(agent->conf->agent.uefi_vars_template,
	    cr.vars, 0600) == -1) {
		xasprintf(&cause, "copying the UEFI vars template %s to %s: "
		    "%s", agent->conf->agent.uefi_vars_template, cr.vars,
		    strerror(errno));
		goto fail;
	}
	cr.made_vars = cr.vars != NULL;
	if (create_write_ini(&cr, &cause) == -1)
		goto fail;
	if (agent_reload(&result, &cause) == -1) {
		create_undo(&cr);
		create_reply_invalid(c, id, json_object_get(result,
		    PF_PROBLEMS), cause);
		goto out;
	}
	if ((vm = vm_find(cr.name)) == NULL) {
		xasprintf(&cause, "%s: written, but the reload did not add "
		    "it", cr.ini);
		create_undo(&cr);
		err = ERR_INTERNAL;
		goto fail;
	}
	log_info("create %s: created %s, %s, %s (%llu bytes), MAC %s", cr.name,
	    cr.ini, cr.vars != NULL ? cr.vars : "no UEFI vars (bios)",
	    cr.disk, cr.disk_size, cr.mac != NULL ? cr.mac :
	    "none (no bridge)");
	client_reply_ok(c, id, create_result(&cr, vm, 1));
	goto out;

fail:
	create_undo(&cr);
	client_reply_error(c, id, err, "%s", cause != NULL ? cause :
	    "create failed");
out:
	json_decref(problems);
	json_decref(result);
	vm_conf_free(want);
	free(cause);
	free(msg);
	create_free(&cr);
}

/* -------------------------------------------------------------- delete */

void
cmd_delete(struct client *c, struct vm *vm, json_t *req, json_t *id)
{
	json_t	*o, *kept, *result = NULL;
	char	*file, *tmp, *msg = NULL;
	int	 i;

	if (!client_is_root(c)) {
		client_reply_error(c, id, ERR_PERMISSION, "delete: only root "
		    "may delete VMs");
		return;
	}
	if (proto_state_live(vm->state)) {
		client_reply_error(c, id, ERR_BUSY, "%s is %s; stop it "
		    "before deleting it", vm->name,
		    proto_state_name(vm->state));
		return;
	}
	file = xstrdup(vm->conf->file);
	kept = json_array();
	for (i = 0; i < VM_MAX_DISKS; i++) {
		if (vm->conf->disks[i] != NULL)
			json_array_append_new(kept,
			    proto_json_string(vm->conf->disks[i]));
	}
	if (vm->conf->uefi_vars != NULL)	/* none with firmware = bios */
		json_array_append_new(kept,
		    proto_json_string(vm->conf->uefi_vars));

	/* Out of the way (undoable), reload, then gone. */
	xasprintf(&tmp, "%s/.%s.ini.deleted", agent->confdir, vm->name);
	if (rename(file, tmp) == -1) {
		client_reply_error(c, id, ERR_FAILED, "%s: %s", file,
		    strerror(errno));
		goto out;
	}
	if (agent_reload(&result, &msg) == -1) {
		if (rename(tmp, file) == -1)
			log_warn("delete: cannot put back %s", file);
		create_reply_invalid(c, id, json_object_get(result,
		    PF_PROBLEMS), msg);
		goto out;
	}
	if (unlink(tmp) == -1)
		log_warn("delete: %s", tmp);
	log_info("delete %s: removed %s", json_string_value(json_object_get(
	    req, PF_NAME)), file);
	o = json_object();
	json_object_set(o, PF_NAME, json_object_get(req, PF_NAME));
	json_object_set_new(o, PF_CHANGED, json_true());
	json_object_set_new(o, PF_REMOVED, json_array());
	json_array_append_new(json_object_get(o, PF_REMOVED),
	    proto_json_string(file));
	json_object_set(o, PF_KEPT, kept);
	json_object_set_new(o, PF_NOTE, json_string("only the VM's "
	    "configuration file was removed; its disks, UEFI vars file and "
	    "any ZFS dataset are yours: remove them yourself when no longer "
	    "needed"));
	client_reply_ok(c, id, o);
out:
	json_decref(kept);
	json_decref(result);
	free(msg);
	free(tmp);
	free(file);
}
