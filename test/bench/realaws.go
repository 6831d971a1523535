package bench

// realAWS is the section of docs/benchmarks.md on what the same applies
// take against real AWS, from AWS's documented behaviour (not measured).
// Its two verbs are the plan calls per stack of hawebapp and hand-written.
const realAWS = `## What to expect on real AWS

Not measured here (no AWS account): estimates from AWS's documented behaviour and the dependency graph of each
configuration. On real AWS the time is AWS provisioning, and the two configurations come out close: **both take
roughly 13-25 minutes to apply, and 7-15 to destroy**, dominated by the database.

| part | typical time on AWS | hawebapp | hand-written |
|---|---|---|---|
| multi-AZ RDS (create, primary + standby, managed secret) | 10-20 min | starts at once (after its subnet group and security group) | same |
| security groups, DB subnet group, IAM role and profile, target group | seconds | beside the database | beside the database |
| ALB (provisioning to active) and its listener | 2-5 min | beside the database | beside the database (aws_lb waits for active) |
| instance role policy (names the database secret) | seconds | after the database | after the database |
| launch template (user data carries the database endpoint) | seconds | after the database | after the database (endpoint wired into user_data) |
| 3 zonal ASGs: instances boot, run the user data, pass the health check (3 x 15 s) | 3-5 min | after the template, the three in parallel, until targets are healthy | same (wait_for_elb_capacity = 1) |
| target-tracking policies | seconds | after each group | same |

- **hawebapp**: expected apply ≈ database (10-20 min) + template (seconds) + instances healthy (3-5 min) ≈ **13-25 min**.
  Everything that does not need the database (security groups, role, ALB, target group, listener) is done while it
  is created; the launch template and the groups wait for it because the user data carries its endpoint.
- **hand-written**: the same graph, so the same **13-25 min**. The fixed delays of hashicorp/aws's waiters, which
  make up most of its apply time on the emulator, add well under a minute next to AWS's own provisioning.
- **Destroy** (both): groups terminate their instances (30 s deregistration delay, then shutdown; 1-3 min), the
  template and role policy go, then the database (multi-AZ, no final snapshot: 5-10 min); the ALB and security
  groups go beside it (security groups once the ALB's network interfaces are released, which can take minutes):
  about **7-15 min**.
- Where hawebapp still wins on AWS: a no-change plan costs %d describe calls per stack instead of %d (at AWS's
  50-200 ms per call and its API rate limits this is what decides how many stacks one root can refresh quickly), and
  the HA checks run at plan time instead of failing halfway through a 20-minute apply.
`
