#include <doctest/doctest.h>

#include "agent/host/samba/smb_ports.hpp"

using sharectl::agent::host::smb_port_in;

TEST_CASE("smb_port_in: the port clients use from smb.conf's smb ports") {
  CHECK(smb_port_in("") == 445);                                   // Samba's default
  CHECK(smb_port_in("[global]\n  workgroup = X\n") == 445);        // not set
  CHECK(smb_port_in("[global]\n  smb ports = 4450\n") == 4450);    // a private smbd
  CHECK(smb_port_in("[global]\n\tSMB_Ports=139 445\n") == 445);    // 445 among them wins
  CHECK(smb_port_in("[global]\nsmbports = 4451, 4452\n") == 4451); // spelled any way
  CHECK(smb_port_in("smb ports = 4450\n[global]\n") == 4450);      // before any section
  CHECK(smb_port_in("[global]\n; smb ports = 4450\n# smb ports = 1\n") == 445); // comments
  CHECK(smb_port_in("[global]\nsmb ports = \\\n 4450\n") == 4450);              // a continued line
  CHECK(smb_port_in("[share]\nsmb ports = 4450\n") == 445);                     // not [global]
  CHECK(smb_port_in("[global]\nsmb ports = 4450\n[global]\nsmb ports = 4460\n") == 4460); // last
  CHECK(smb_port_in("[global]\nsmb ports = x 70000\n") == 445); // nothing valid
}
