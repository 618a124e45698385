// Publishes, edits and unpublishes Ghost posts through the Admin API, as an integration does.
const GhostAdminAPI = require('@tryghost/admin-api');
const [url, key, action, json] = process.argv.slice(2);
const api = new GhostAdminAPI({url, key, version: 'v6.0'});
const data = JSON.parse(json || '{}');
const run = {
  add: () => api.posts.add(data, {source: 'html'}),
  edit: async () => {
    const post = await api.posts.read({id: data.id});
    return api.posts.edit({...data, updated_at: post.updated_at}, {source: 'html'});
  },
  delete: () => api.posts.delete({id: data.id}),
}[action];
run().then((result) => { process.stdout.write(JSON.stringify(result || {})); })
  .catch((error) => { process.stderr.write(String(error.message || error)); process.exit(1); });
