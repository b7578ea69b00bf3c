export default async function versionExecutor(options: any) {
  console.log('probe', options);
  return { success: true };
}
