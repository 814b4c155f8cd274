//! Tests of the screening document parser and result rendering.
