/* confdefs.h */
#define PACKAGE_NAME "gatehouse"
#define PACKAGE_TARNAME "gatehouse"
#define PACKAGE_VERSION "0.1.0"
#define PACKAGE_STRING "gatehouse 0.1.0"
#define PACKAGE_BUGREPORT ""
#define PACKAGE_URL ""
