/*
 * bench.h - private header of the bootstrap benchmark, one block per file.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Allgather sweep: bytes per rank. */
#define BENCH_NSIZES	9
extern const size_t bench_sizes[BENCH_NSIZES];

/* Endpoint exchange: the two messages each rank sends every other rank. */
#define BENCH_EXCH_SMALL	64
#define BENCH_EXCH_LARGE	1024
#define BENCH_EXCH_BYTES	(BENCH_EXCH_SMALL + BENCH_EXCH_LARGE)
#define BENCH_EXCH_TAG(src, i)	(2 * (src) + (i))

/*
 * A system under test.  boot() runs one bootstrap: rank 0 makes the job id,
 * it is broadcast with MPI_Bcast, every rank joins and the first barrier
 * completes.  The operations return 0 on success, -1 on failure (with the
 * reason in err).  NULL operations are not offered by the system.
 */
struct bench_sys {
	const char	*name;
	const char	*boot_what;	/* what "bootstrap" means for it */
	const char	*note;		/* for the reader of the report */
	int		 (*boot)(void **h, char *err, size_t errlen);
	int		 (*fini)(void *h);
	int		 (*barrier)(void *h, char *err, size_t errlen);
	int		 (*allgather)(void *h, void *buf, size_t bytes,
			     char *err, size_t errlen);
	int		 (*alltoall)(void *h, const void *sbuf, void *rbuf,
			     size_t bytes, char *err, size_t errlen);
	/* Ping-pong with peer: the even rank of the pair sends first. */
	int		 (*pingpong)(void *h, void *buf, size_t len, int peer,
			     char *err, size_t errlen);
	pid_t		 (*server_pid)(void *h);	/* its server, or 0 */
	/* Endpoint exchange (mscclpp Communicator setup): send
	 * sbuf[p * BENCH_EXCH_BYTES ..] to every other rank p as a
	 * BENCH_EXCH_SMALL and a BENCH_EXCH_LARGE message with tags
	 * BENCH_EXCH_TAG(me, 0/1), receive the same from everyone into
	 * rbuf[p * BENCH_EXCH_BYTES ..], then a barrier. */
	int		 (*exchange)(void *h, const void *sbuf, void *rbuf,
			     char *err, size_t errlen);
	int		 boot_iterations_max;	/* 0: as many as asked */
	int		 max_allgather_ops;	/* 0: the global cap */
};

/* bootstrap_benchmark.c */
extern int	bench_rank;
extern int	bench_nranks;
/* bench_now_us() when this rank held the job's id, the launcher's
 * broadcast done: each system's boot() sets it, -1 before (a system with no
 * id to broadcast leaves it).  "Bootstrap from id in hand" is from when the
 * last rank held the id to when the last rank was through the first
 * barrier: init + first barrier without the launcher's broadcast. */
extern double	bench_id_us;
double		bench_now_us(void);
void		bench_copy_others(void *buf, const void *t, size_t bytes);
void		bench_progress(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
#ifdef MPI_VERSION
/* The ranks on this rank's node (MPI_COMM_TYPE_SHARED: a simulated node is
 * a host of its own to OpenMPI), made on first use. */
MPI_Comm	bench_node_comm(void);
#endif

/* sys_fastboot.c */
extern const struct bench_sys	sys_fastboot;
extern const char		*sys_fastboot_socket;
/* --nodes; 0: not checked */
extern int			 sys_fastboot_nodes;
extern pid_t			 sys_fastboot_daemon_pid;
int		sys_fastboot_start_daemon(const char *path, char *err,
		    size_t errlen);
void		sys_fastboot_stop_daemon(void);
int		sys_fastboot_probe(const char *path, pid_t *pid, char *why,
		    size_t len);
/* An untimed job of this node's ranks alone on their daemon: 0, or -1
 * (err).  Collective. */
int		sys_fastboot_warm(char *err, size_t errlen);
/* Bootstrap phases of the last boot: id made (rank 0 only), id broadcast,
 * connected, node map read, HELLO+JOIN written, JOIN_ACK read, table
 * mapped, READY read, first barrier done; bench_now_us() at each, -1 if
 * not reached. */
#define SYS_FASTBOOT_NPHASES	9
extern const char *const	 sys_fastboot_phase_names[SYS_FASTBOOT_NPHASES];
extern double			 sys_fastboot_phase_us[SYS_FASTBOOT_NPHASES];

/* sys_mpi.c */
extern const struct bench_sys	sys_mpi;

/* sys_floor.c */
extern const struct bench_sys	sys_floor;

/* sys_netfloor.c */
extern const struct bench_sys	sys_netfloor;

/* sys_pmix.c */
extern const struct bench_sys	sys_pmix;
extern double			 sys_pmix_init_us;	/* PMIx_Init alone */
/* bench_now_us() before PMIx_Init and after the first fence, -1 if not */
extern double			 sys_pmix_start_us, sys_pmix_fenced_us;
int		sys_pmix_preinit(char *err, size_t errlen);
void		sys_pmix_finalize(void);
const char	*sys_pmix_version(void);

/* sys_mscclpp.cc */
extern const struct bench_sys	sys_mscclpp;
const char	*sys_mscclpp_version(void);

/* stats.c */
struct bench_stats {
	size_t	n;
	double	mean, median, stddev, min, max, p90, p99, ci_lo, ci_hi;
};
void		stats_compute(const double *v, size_t n, struct bench_stats *s);

/* machine.c */
struct bench_run;
const char	*machine_binding(void);
void		machine_describe(struct bench_run *run);
double		*machine_handoff(int gap_us, size_t *n, char *err,
		    size_t errlen);

/* cpu.c */
double		cpu_self_us(void);
double		cpu_pid_us(pid_t pid);
long		mem_rss_kib(pid_t pid);
long		mem_mapping_rss_kib(const char *name);

/*
 * One measured series and one run, as the MPI binary records them and as
 * bench_report reads them back from results.json (results.c writes,
 * report_load.c reads; the strings of a loaded run live in its JSON tree).
 */
struct bench_series {
	const char	*system;
	const char	*metric;	/* "bootstrap", "barrier", ... */
	size_t		 bytes;		/* message size, 0 if none */
	double		*samples;	/* per op or per iteration, us */
	size_t		 n;
	double		 cpu_per_op_us;	/* summed over ranks, <0 unknown */
	double		 server_cpu_per_op_us; /* daemon/mpirun, <0 unknown */
	struct bench_stats st;
};

enum bench_status { BENCH_RAN, BENCH_FAILED, BENCH_ABSENT };

/* What became of one system: ran (results checked), failed, not measured. */
struct bench_sysres {
	const char		*name;
	enum bench_status	 status;
	const char		*why;		/* failed, absent: why */
	unsigned long long	 checked, checked_bytes, mismatches;
};

#define BENCH_MAX_SYSTEMS	8
#define BENCH_MAX_NOTES		24

struct bench_run {
	int		 nranks;
	int		 nodes;		/* --nodes: simulated nodes, 0: one */
	int		 iterations;
	double		 budget_s;
	double		 wall_s;
	const char	*started;	/* local time, ISO 8601 */
	const char	*commit;	/* git describe, or tarball version */
	const char	*configure;	/* configure's arguments */
	const char	*binding;	/* CPUs each rank may run on */
	const char	*daemon;	/* which fastbootd served fastboot */
	const char	*host, *kernel, *cpu;
	long		 ncpus, memory_mb;
	const char	*fastboot_version, *mpi_version, *pmix_version;
	const char	*mscclpp_version;
	const char	*notes[BENCH_MAX_NOTES];
	int		 nnotes;
	struct bench_sysres sys[BENCH_MAX_SYSTEMS];
	int		 nsys;
	struct bench_series *series;
	size_t		 nseries;
};

/* results.c (json-c): 0, or -1 with the reason in err. */
extern const char *const results_status_name[];	/* by enum */
int		results_write(const struct bench_run *run, const char *path,
		    char *err, size_t errlen);

/* spawn.c: run argv[0] (no shell), in dir if not NULL, stdout and stderr
 * to files if not NULL; the exit status as from waitpid, or -1 (err). */
int		spawn_wait(char *const argv[], const char *dir,
		    const char *out, const char *errfile, char *err,
		    size_t errlen);
/* The first line argv prints on stdout, or -1. */
int		spawn_line(char *const argv[], char *line, size_t len);
/* All argv prints on stdout (up to len - 1 bytes), or -1 if it failed or
 * printed nothing. */
int		spawn_read(char *const argv[], char *out, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* BENCH_H */
