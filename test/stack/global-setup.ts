export async function setup() {} export async function teardown() {}
