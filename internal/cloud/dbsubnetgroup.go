package cloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// The DB subnet group. Observe reads it from the database instance's
// description (no call of its own) and only describes it directly when the
// instance is missing.
type dbSubnetGroups struct{ *Cloud }

func (c dbSubnetGroups) findDBSubnetGroupByName(ctx context.Context, name string) (*rdstypes.DBSubnetGroup, error) {
	var found []rdstypes.DBSubnetGroup
	pages := rds.NewDescribeDBSubnetGroupsPaginator(c.rds, &rds.DescribeDBSubnetGroupsInput{DBSubnetGroupName: aws.String(name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading DB subnet group (%s): %w", name, asNotFound(err, "DB subnet group", name, errCodeDBSubnetGroupNotFound))
		}
		found = append(found, page.DBSubnetGroups...)
	}
	if len(found) == 0 {
		return nil, notFound("DB subnet group", name)
	}
	return &found[0], nil
}

// findRDSTags reads the tags of an RDS resource (subnet groups do not carry
// them in their description).
func findRDSTags(ctx context.Context, client *rds.Client, arn string) (map[string]string, error) {
	out, err := client.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("reading tags of %s: %w", arn, err)
	}
	return fromRDSTags(out.TagList), nil
}

func addRDSTags(ctx context.Context, client *rds.Client, arn string, want, have map[string]string) error {
	missing := missingTags(want, have)
	if len(missing) == 0 {
		return nil
	}
	if _, err := client.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: rdsTags(missing)}); err != nil {
		return fmt.Errorf("tagging %s: %w", arn, err)
	}
	return nil
}

func (c dbSubnetGroups) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.DBSubnetGroupProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	g, err := c.findDBSubnetGroupByName(ctx, p.Name)
	switch {
	case err == nil:
		tags, err := findRDSTags(ctx, c.rds, aws.ToString(g.DBSubnetGroupArn))
		if err != nil {
			return engine.Observation{}, err
		}
		if err := checkOwned(p, "DB subnet group", p.Name, tags); err != nil {
			return engine.Observation{}, err
		}
		return c.update(ctx, p, engine.Observation{}, refs)
	case !errors.Is(err, ErrNotFound):
		return engine.Observation{}, err
	}
	out, err := createCall(ctx, c.rds.CreateDBSubnetGroup, &rds.CreateDBSubnetGroupInput{
		DBSubnetGroupName: aws.String(p.Name), DBSubnetGroupDescription: aws.String(props.Description),
		SubnetIds: props.SubnetIDs, Tags: rdsTags(p.Tags),
	})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("creating DB subnet group (%s): %w", p.Name, err)
	}
	return dbSubnetGroupObservation(p, out.DBSubnetGroup, p.Tags), nil
}

func (c dbSubnetGroups) update(ctx context.Context, p blueprint.Part, _ engine.Observation, _ engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.DBSubnetGroupProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	g, err := c.findDBSubnetGroupByName(ctx, p.Name)
	if err != nil {
		return engine.Observation{}, err
	}
	if !sameSet(dbSubnetIDs(g), props.SubnetIDs) || aws.ToString(g.DBSubnetGroupDescription) != props.Description {
		out, err := c.rds.ModifyDBSubnetGroup(ctx, &rds.ModifyDBSubnetGroupInput{
			DBSubnetGroupName: aws.String(p.Name), DBSubnetGroupDescription: aws.String(props.Description), SubnetIds: props.SubnetIDs,
		})
		if err != nil {
			return engine.Observation{}, fmt.Errorf("updating DB subnet group (%s): %w", p.Name, err)
		}
		g = out.DBSubnetGroup
	}
	arn := aws.ToString(g.DBSubnetGroupArn)
	tags, err := findRDSTags(ctx, c.rds, arn)
	if err != nil {
		return engine.Observation{}, err
	}
	if err := addRDSTags(ctx, c.rds, arn, p.Tags, tags); err != nil {
		return engine.Observation{}, fmt.Errorf("updating DB subnet group (%s): %w", p.Name, err)
	}
	return dbSubnetGroupObservation(p, g, p.Tags), nil
}

// delete retries while a database that is still being deleted uses the group.
func (c dbSubnetGroups) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	name := cmp.Or(cur.Name, p.Name)
	err := retryWhile(ctx, "DB subnet group "+name+" to be unused", func(err error) bool {
		return isCode(err, errCodeInvalidDBSubnetGroupState)
	}, func(ctx context.Context) error {
		_, err := c.rds.DeleteDBSubnetGroup(ctx, &rds.DeleteDBSubnetGroupInput{DBSubnetGroupName: aws.String(name)})
		if isCode(err, errCodeDBSubnetGroupNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting DB subnet group (%s): %w", name, err)
	}
	return nil
}

func dbSubnetIDs(g *rdstypes.DBSubnetGroup) []string {
	var ids []string
	for _, s := range g.Subnets {
		ids = append(ids, aws.ToString(s.SubnetIdentifier))
	}
	return ids
}

// dbSubnetGroupObservation: tags is nil when the group was read through its
// database, whose ownership then stands for the group's.
func dbSubnetGroupObservation(p blueprint.Part, g *rdstypes.DBSubnetGroup, tags map[string]string) engine.Observation {
	name := aws.ToString(g.DBSubnetGroupName)
	o := newObservation(p, name, name, aws.ToString(g.DBSubnetGroupArn), tags)
	var subnets []zonedID
	for _, s := range g.Subnets {
		var zone string
		if s.SubnetAvailabilityZone != nil {
			zone = aws.ToString(s.SubnetAvailabilityZone.Name)
		}
		subnets = append(subnets, zonedID{zone, aws.ToString(s.SubnetIdentifier)})
	}
	o.Props = blueprint.DBSubnetGroupProps{Description: aws.ToString(g.DBSubnetGroupDescription), SubnetIDs: idsByZone(subnets)}
	if props, ok := p.Props.(blueprint.DBSubnetGroupProps); ok {
		if have := dbSubnetIDs(g); !sameSet(have, props.SubnetIDs) {
			o.Drift = append(o.Drift, fmt.Sprintf("subnets %s, want %s", words(have), words(props.SubnetIDs)))
		}
		if tags != nil {
			o.Drift = append(o.Drift, tagDrift(p.Tags, tags)...)
		}
	}
	return o
}
