package bench

// realAWS is the section of contributing/benchmarks.md on what the same applies
// take against real AWS, from AWS's documented behaviour (not measured).
// Its two verbs are the plan calls per stack of hawebapp and hand-written.
const realAWS = `## What to expect on real AWS

Not measured here (no AWS account): estimates from AWS's documented behaviour and the dependency graph of each
configuration. On real AWS the time is AWS provisioning, dominated by the database: **hawebapp takes roughly
10-20 minutes to apply and 5-12 to destroy, the hand-written configuration 13-25 and 7-15**, because its launch
template waits for the database's endpoint and hawebapp's does not.

| part | typical time on AWS | hawebapp | hand-written |
|---|---|---|---|
| multi-AZ RDS (create, primary + standby, managed secret) | 10-20 min | starts at once (after its subnet group and security group) | same |
| security groups, DB subnet group, IAM role and profile, target group | seconds | beside the database | beside the database |
| ALB (provisioning to active) and its listener | 2-5 min | beside the database | beside the database (aws_lb waits for active) |
| instance role policy (names the database secret) | seconds | after the database | after the database |
| launch template (user data names the database) | seconds | beside the database (its identifier, known before it exists) | after the database (endpoint wired into user_data) |
| 3 zonal ASGs: instances boot, run the user data, pass the health check (3 x 15 s) | 3-5 min | after the template, the three in parallel, until targets are healthy (beside the database) | after the template, so after the database (wait_for_elb_capacity = 1) |
| target-tracking policies | seconds | after each group | same |

- **hawebapp**: expected apply ≈ the longer of the database (10-20 min) and the fleet (template in seconds, then
  instances healthy in 3-5 min), plus the role policy (seconds) ≈ **10-20 min**. Only the role policy, which names
  the database's secret, waits for the database: the launch template's user data carries the database's
  identifier (HAWEBAPP_DB_INSTANCE), and the instances look the endpoint up at boot, so the template, the groups
  and their instances are created while the database is.
- **hand-written**: the launch template's user data carries the database endpoint, so the template and the groups
  wait for the database: database (10-20 min) + template (seconds) + instances healthy (3-5 min) ≈ **13-25 min**.
  The fixed delays of hashicorp/aws's waiters, which make up most of its apply time on the emulator, add well under
  a minute next to AWS's own provisioning.
- **Destroy**: groups terminate their instances (30 s deregistration delay, then shutdown; 1-3 min); the database
  (multi-AZ, no final snapshot: 5-10 min) goes once the role policy is gone, beside the groups in hawebapp and
  after the groups and the template in the hand-written configuration; the ALB and security groups go beside it
  (security groups once the ALB's network interfaces are released, which can take minutes): about **5-12 min**
  for hawebapp and **7-15 min** hand-written.
- Where hawebapp also wins on AWS: a no-change plan costs %d describe calls per stack instead of %d (at AWS's
  50-200 ms per call and its API rate limits this is what decides how many stacks one root can refresh quickly), and
  the HA checks run at plan time instead of failing halfway through a 20-minute apply.
`
