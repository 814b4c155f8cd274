//! Table tests of the screening checklist, interactions, contrast flag and premedication plan. Test code only.
