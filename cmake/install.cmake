# install.cmake: what `cmake --install` and the .deb put on a machine: the
# binary (fs/CMakeLists.txt), the mount(8) helper, the man page (gzipped),
# the systemd template unit, the logrotate file, the copyright and changelog
# and the examples; and the Debian package (cpack -G DEB), which lintian
# accepts without errors (tests/integration/t_ops_deb.sh).
# Paths inside the installed files are filled in at install time from the
# prefix in effect then (so `cmake --install --prefix P` and DESTDIR work).
set(CASFS_UNITDIR lib/systemd/system)

# casfs_install_configured(TEMPLATE DEST NAME TYPE): installs TEMPLATE as
# DEST/NAME (DEST relative to the prefix), with @CASFS_BIN@, @UNITDIR@,
# @DOCDIR@ and @VERSION@ replaced; TYPE is FILE or PROGRAM.
function(casfs_install_configured template dest name type)
  install(CODE "
    set(CASFS_BIN \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/casfs\")
    set(UNITDIR \"\${CMAKE_INSTALL_PREFIX}/${CASFS_UNITDIR}\")
    set(DOCDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\")
    set(VERSION \"${PROJECT_VERSION}\")
    string(RANDOM LENGTH 16 gen) # installs may run at once (tests): each its own copy
    set(gen \"${CMAKE_BINARY_DIR}/install-gen/\${gen}\")
    configure_file(\"${template}\" \"\${gen}/${name}\" @ONLY)
    file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${dest}\" TYPE ${type} FILES \"\${gen}/${name}\")
    file(REMOVE_RECURSE \"\${gen}\")
  ")
endfunction()

# casfs_install_gzipped(TEMPLATE DEST NAME): like casfs_install_configured,
# then compressed as DEST/NAME.gz (gzip -9n: no name or time stamp, so the
# package is reproducible), as Debian policy wants man pages and changelogs.
function(casfs_install_gzipped template dest name)
  install(CODE "
    set(CASFS_BIN \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/casfs\")
    set(UNITDIR \"\${CMAKE_INSTALL_PREFIX}/${CASFS_UNITDIR}\")
    set(DOCDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\")
    set(VERSION \"${PROJECT_VERSION}\")
    string(RANDOM LENGTH 16 gen)
    set(gen \"${CMAKE_BINARY_DIR}/install-gen/\${gen}\")
    configure_file(\"${template}\" \"\${gen}/${name}\" @ONLY)
    execute_process(COMMAND gzip -9n \"\${gen}/${name}\" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR \"gzip ${name}: \${rc}\")
    endif()
    file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${dest}\" TYPE FILE FILES \"\${gen}/${name}.gz\")
    file(REMOVE_RECURSE \"\${gen}\")
  ")
endfunction()

casfs_install_configured(${PROJECT_SOURCE_DIR}/contrib/mount.fuse.casfs.in ${CMAKE_INSTALL_SBINDIR} mount.fuse.casfs PROGRAM)
casfs_install_configured(${PROJECT_SOURCE_DIR}/contrib/casfs@.service.in ${CASFS_UNITDIR} casfs@.service FILE)
casfs_install_gzipped(${PROJECT_SOURCE_DIR}/docs/casfs.1 ${CMAKE_INSTALL_MANDIR}/man1 casfs.1)
casfs_install_gzipped(${PROJECT_SOURCE_DIR}/contrib/debian/changelog ${CMAKE_INSTALL_DOCDIR} changelog)
install(FILES contrib/fstab.example contrib/casfs.env.example docs/OPERATIONS.md contrib/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# the logrotate file itself (a conffile in the .deb): /etc/logrotate.d/casfs
# for the /usr prefix (the package), PREFIX/etc/logrotate.d otherwise, so an
# install into a test prefix never writes to the real /etc
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(etc /etc)
  else()
    set(etc \"\${CMAKE_INSTALL_PREFIX}/etc\")
  endif()
  file(INSTALL DESTINATION \"\${etc}/logrotate.d\" TYPE FILE
       FILES \"${PROJECT_SOURCE_DIR}/contrib/casfs.logrotate\" RENAME casfs)
")

# cpack -G DEB (in the build directory): casfs_<version>_<arch>.deb
set(CPACK_PACKAGE_NAME casfs)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "casfs maintainers <casfs@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "FUSE filesystem showing an Alibaba Cloud CAS account as files")
# (CPack puts the summary above as the synopsis line; this is the long description)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "casfs mounts an Alibaba Cloud Certificate Management Service account as a
directory tree: certificates, their details and settings are files that
standard tools (ls, cat, rsync, editors, Ansible) read and write. Mutations
are validated locally, journaled, and sent once; deleting needs consent.
Includes the mount(8) helper, a systemd template unit (one account per
instance) and a logrotate file.")
set(CPACK_STRIP_FILES ON)            # a stripped binary (Debian policy; lintian)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/contrib/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/casfs")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)            # install with DESTDIR=staging and prefix /usr: the
set(CPACK_INSTALL_PREFIX /usr)       # helper and unit then name /usr/bin/casfs, not the staging dir
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # libfuse3-3, libcurl4, libcjson1, libjson-c5, libssl3, libsystemd0, libsqlite3-0
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3") # fusermount3 for non-root mounts and the unit's ExecStopPost
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "logrotate")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "jq")
set(CPACK_GENERATOR DEB)
include(CPack)
