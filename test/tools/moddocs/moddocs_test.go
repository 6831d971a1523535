package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tables say what the .tf files say: the version bounds, every
// resource with how many it makes, every input with its default (or
// required) and every output, each description on one line.
func TestRenderFromTheModulesFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("versions.tf", `terraform {
  required_version = ">= 1.7"
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.100" }
  }
}`)
	write("variables.tf", `variable "name" {
  description = <<-EOT
    Name of
    the thing.
  EOT
  type        = string
}
variable "sizes" {
  description = "Sizes (a | b)."
  type = object({
    min = optional(number)
  })
  default = { min = 1 }
}`)
	write("main.tf", `resource "aws_vpc" "this" {}
resource "aws_subnet" "private" {
  for_each = toset(var.zones)
}
resource "aws_eip" "nat" {
  count = var.nat ? 1 : 0
}`)
	write("outputs.tf", `output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}`)
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := Render(m)
	for _, want := range []string{
		"| terraform | >= 1.7 |", "| hashicorp/aws | >= 5.100 |",
		"| `aws_vpc.this` | always |", "| `aws_subnet.private` | `for_each = toset(var.zones)` |", "| `aws_eip.nat` | `count = var.nat ? 1 : 0` |",
		"| `name` | Name of the thing. | `string` | required |", "| `sizes` | Sizes (a \\| b). | `object` | `{ min = 1 }` |",
		"| `vpc_id` | ID of the VPC. |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("tables lack %q:\n%s", want, got)
		}
	}
}

// Only the generated section changes; a README without one is an error
// that says how to add it.
func TestSplice(t *testing.T) {
	readme := "# m\n\nhand-written\n\n" + Begin + "\nold tables\n" + End + "\n\n## Examples\n"
	got, err := Splice(readme, "new tables\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "# m\n\nhand-written\n\n" + Begin + "\nnew tables\n" + End + "\n\n## Examples\n"; got != want {
		t.Errorf("spliced:\n%s\nwant:\n%s", got, want)
	}
	if _, err := Splice("# m\n", "x"); err == nil || !strings.Contains(err.Error(), Begin) {
		t.Errorf("err = %v, want one naming the markers", err)
	}
}
