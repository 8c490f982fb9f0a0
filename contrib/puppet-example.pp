# puppet-example.pp: configuration management through a casfs mount.
# Puppet's file resource writes a temporary file beside the target (with a
# lock directory, which casfs holds as a scratch directory) and renames it
# over the target; casfs commits that rename as one UpdateInstance with only
# the fields that differ, and a second run changes nothing and calls nothing.
#   puppet apply contrib/puppet-example.pp
$mnt = '/mnt/cas'
$instance = 'cas-cn-0123456789'

file { "${mnt}/instances/${instance}/auto_reissue":
  content => "enable\n",
}

file { "${mnt}/instances/${instance}/config":
  content => "{\"City\": \"Hangzhou\", \"Province\": \"Zhejiang\"}\n",
}
